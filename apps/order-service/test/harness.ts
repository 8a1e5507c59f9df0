import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Engine } from '@platform/persistence';
import { serviceContext, type ServiceContext } from '@platform/persistence/testing';
import { buildApp } from '../src/app';
import { OrderRepository } from '../src/orders/order-repository';
import { Orders } from '../src/orders/orders';
import { dependencyClients } from '../src/server';

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
  const clients = dependencyClients(context.runtime, {
    userServiceUrl: new URL(dependencies.userServiceUrl),
    paymentServiceUrl: new URL(dependencies.paymentServiceUrl),
    userServiceTimeoutMs: dependencies.userServiceTimeoutMs ?? 2_000,
    paymentServiceTimeoutMs: dependencies.paymentServiceTimeoutMs ?? 5_000,
  });
  const orders = new Orders(new OrderRepository(context.db), clients.users, clients.payments, {
    paymentAttemptStaleMs: 60_000,
  });
  const app = await buildApp({ runtime: context.runtime, orders });
  return {
    ...context,
    server: app.getHttpServer() as Server,
    close: async () => {
      await app.close();
      await context.close();
    },
  };
}
