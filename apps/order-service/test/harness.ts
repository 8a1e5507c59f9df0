import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Engine } from '@platform/persistence';
import { serviceContext, type ServiceContext } from '@platform/persistence/testing';
import { buildApp } from '../src/app';

export interface TestService extends ServiceContext {
  server: Server;
}

export interface Dependencies {
  readonly userServiceUrl: string;
  readonly paymentServiceUrl: string;
  readonly userServiceTimeoutMs?: number;
  readonly paymentServiceTimeoutMs?: number;
}

/** The real Nest app on a fresh, migrated database of the given engine, calling real HTTP servers. */
export async function startTestService(engine: Engine, dependencies: Dependencies): Promise<TestService> {
  const context = await serviceContext({
    service: 'order-service',
    engine,
    migrationsDir: join(__dirname, '../src/migrations'),
  });
  const app = await buildApp({
    runtime: context.runtime,
    db: context.db,
    settings: {
      userServiceUrl: new URL(dependencies.userServiceUrl),
      paymentServiceUrl: new URL(dependencies.paymentServiceUrl),
      userServiceTimeoutMs: dependencies.userServiceTimeoutMs ?? 2_000,
      paymentServiceTimeoutMs: dependencies.paymentServiceTimeoutMs ?? 5_000,
      paymentAttemptStaleMs: 60_000,
    },
  });
  return {
    ...context,
    server: app.getHttpServer() as Server,
    close: async () => {
      await app.close();
      await context.close();
    },
  };
}
