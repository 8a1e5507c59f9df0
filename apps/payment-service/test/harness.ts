import { join } from 'node:path';
import { Authenticator } from '@platform/auth';
import type { TestIssuer } from '@platform/auth/testing';
import { Checkpoints, type Engine, IdempotencyStore } from '@platform/persistence';
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
  options: {
    providerTimeoutMs?: number;
    now?: () => Date;
    /** The payments' SQL; tests pass one that fails its writes on demand (a lock timeout, a failover). */
    repository?: (db: ServiceContext['db']) => PaymentRepository;
  } = {},
): Promise<TestService> {
  const context = await serviceContext({
    service: 'payment-service',
    engine,
    migrationsDir: join(__dirname, '../src/migrations'),
  });
  const provider = new SandboxProvider(context.db);
  const providerTimeoutMs = options.providerTimeoutMs ?? 2_000;
  const staleAfterMs = abandonedAfterMs({ providerTimeoutMs });
  const payments = new Payments(
    context.db,
    options.repository?.(context.db) ?? new PaymentRepository(context.db),
    new IdempotencyStore(context.db, { staleAfterMs, now: options.now }),
    provider,
    new Checkpoints(context.db),
    { providerTimeoutMs, abandonedAfterMs: staleAfterMs, now: options.now },
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
