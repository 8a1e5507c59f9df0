import { join } from 'node:path';
import { Authenticator } from '@platform/auth';
import type { TestIssuer } from '@platform/auth/testing';
import type { Engine } from '@platform/persistence';
import { serviceContext, type ServiceContext } from '@platform/persistence/testing';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app';
import { compose, type Overrides } from '../src/compose';
import type { Payments } from '../src/payments/payments';
import type { SandboxProvider } from '../src/payments/sandbox-provider';

export interface TestService extends ServiceContext {
  app: FastifyInstance;
  provider: SandboxProvider;
  payments: Payments;
}

/** The real app on a fresh, migrated database of the given engine, with the sandbox provider, trusting a real issuer. */
export async function startTestService(
  engine: Engine,
  issuer: TestIssuer,
  options: Overrides & { providerTimeoutMs?: number } = {},
): Promise<TestService> {
  const context = await serviceContext({
    service: 'payment-service',
    engine,
    migrationsDir: join(__dirname, '../src/migrations'),
  });
  const { providerTimeoutMs = 2_000, ...overrides } = options;
  const service = compose(
    {
      paymentProvider: 'sandbox',
      providerTimeoutMs,
      abandonedAfterMs: undefined,
      settleIntervalMs: 3600_000,
      ledgerIntervalMs: 3600_000,
    },
    context.runtime,
    context.db,
    overrides,
  );
  const auth = new Authenticator(issuer.trust('payment-service'));
  const app = await buildApp({ runtime: context.runtime, auth, service });
  return {
    ...context,
    app,
    provider: service.provider as SandboxProvider,
    payments: service.payments,
    close: async () => {
      await app.close();
      await context.close();
    },
  };
}
