import { join } from 'node:path';
import { Authenticator } from '@platform/auth';
import type { TestIssuer } from '@platform/auth/testing';
import { type Engine, IdempotencyStore } from '@platform/persistence';
import { serviceContext, type ServiceContext } from '@platform/persistence/testing';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app';
import { PaymentRepository } from '../src/payments/payment-repository';
import { abandonedAfterMs, Payments } from '../src/payments/payments';
import { SandboxProvider } from '../src/payments/sandbox-provider';

export interface TestService extends ServiceContext {
  app: FastifyInstance;
  provider: SandboxProvider;
  payments: Payments;
}

/** The real app on a fresh, migrated database of the given engine, with the sandbox provider, trusting a real issuer. */
export async function startTestService(
  engine: Engine,
  issuer: TestIssuer,
  options: { providerTimeoutMs?: number; now?: () => Date } = {},
): Promise<TestService> {
  const context = await serviceContext({
    service: 'payment-service',
    engine,
    migrationsDir: join(__dirname, '../src/migrations'),
  });
  const provider = new SandboxProvider(context.db);
  const providerTimeoutMs = options.providerTimeoutMs ?? 2_000;
  const payments = new Payments(
    context.db,
    new PaymentRepository(context.db),
    new IdempotencyStore(context.db, { staleAfterMs: abandonedAfterMs({ providerTimeoutMs }), now: options.now }),
    provider,
    { providerTimeoutMs, now: options.now },
  );
  const auth = new Authenticator(issuer.trust('payment-service'));
  const app = await buildApp({ runtime: context.runtime, auth, payments });
  return {
    ...context,
    app,
    provider,
    payments,
    close: async () => {
      await app.close();
      await context.close();
    },
  };
}
