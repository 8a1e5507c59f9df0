import { Writable } from 'node:stream';
import { join } from 'node:path';
import { databaseHealthCheck, type Engine, IdempotencyStore, loadMigrations, migrate } from '@platform/persistence';
import { createTestDatabase, type TestDatabase } from '@platform/persistence/testing';
import { createRuntime, type ServiceRuntime } from '@platform/runtime';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app';
import { PaymentRepository } from '../src/payments/payment-repository';
import { Payments } from '../src/payments/payments';
import { SandboxProvider } from '../src/payments/sandbox-provider';

export const migrations = loadMigrations(join(__dirname, '../src/migrations'));

export interface TestService {
  app: FastifyInstance;
  db: TestDatabase;
  runtime: ServiceRuntime;
  provider: SandboxProvider;
  /** Every log line written, raw (at debug level). */
  logs: string[];
  close(): Promise<void>;
}

/** The real app on a fresh, migrated database of the given engine, with the sandbox provider. */
export async function startTestService(engine: Engine, options: { providerTimeoutMs?: number } = {}): Promise<TestService> {
  const db = await createTestDatabase(engine);
  await migrate(db, migrations);
  const logs: string[] = [];
  const runtime = createRuntime({
    service: 'payment-service',
    version: 'test',
    logLevel: 'debug',
    processMetrics: false,
    logDestination: new Writable({
      write(chunk, _encoding, done) {
        logs.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    }),
  });
  runtime.health.register(databaseHealthCheck(db));
  runtime.health.markStarted();
  const provider = new SandboxProvider();
  const payments = new Payments(db, new PaymentRepository(db), provider, { providerTimeoutMs: options.providerTimeoutMs ?? 2_000 });
  const app = await buildApp({ runtime, payments, idempotency: new IdempotencyStore(db) });
  return {
    app,
    db,
    runtime,
    provider,
    logs,
    close: async () => {
      await app.close();
      await runtime.shutdown();
      await db.close();
    },
  };
}
