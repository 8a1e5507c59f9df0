import { Writable } from 'node:stream';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { databaseHealthCheck, type Engine, loadMigrations, migrate } from '@platform/persistence';
import { createTestDatabase, type TestDatabase } from '@platform/persistence/testing';
import { createRuntime, type ServiceRuntime } from '@platform/runtime';
import { buildApp } from '../src/app';
import { OrderRepository } from '../src/orders/order-repository';
import { Orders } from '../src/orders/orders';
import { dependencyClients } from '../src/server';

export const migrations = loadMigrations(join(__dirname, '../src/migrations'));

export interface TestService {
  server: Server;
  db: TestDatabase;
  runtime: ServiceRuntime;
  logs: string[];
  close(): Promise<void>;
}

export interface Dependencies {
  readonly userServiceUrl: string;
  readonly paymentServiceUrl: string;
  readonly userServiceTimeoutMs?: number;
  readonly paymentServiceTimeoutMs?: number;
}

/** The real Nest app on a fresh, migrated database of the given engine, calling real HTTP servers. */
export async function startTestService(engine: Engine, dependencies: Dependencies): Promise<TestService> {
  const db = await createTestDatabase(engine);
  await migrate(db, migrations);
  const logs: string[] = [];
  const runtime = createRuntime({
    service: 'order-service',
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
  const clients = dependencyClients(runtime, {
    userServiceUrl: new URL(dependencies.userServiceUrl),
    paymentServiceUrl: new URL(dependencies.paymentServiceUrl),
    userServiceTimeoutMs: dependencies.userServiceTimeoutMs ?? 2_000,
    paymentServiceTimeoutMs: dependencies.paymentServiceTimeoutMs ?? 5_000,
  });
  const orders = new Orders(new OrderRepository(db), clients.users, clients.payments, { paymentAttemptStaleMs: 60_000 });
  const app = await buildApp({ runtime, orders });
  return {
    server: app.getHttpServer() as Server,
    db,
    runtime,
    logs,
    close: async () => {
      await app.close();
      await runtime.shutdown();
      await db.close();
    },
  };
}
