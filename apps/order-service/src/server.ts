import type { Server } from 'node:http';
import { join } from 'node:path';
import { HttpClient } from '@platform/http-client';
import { startDatabase } from '@platform/persistence';
import { createRuntime, loadConfig, type ServiceRuntime } from '@platform/runtime';
import { buildApp } from './app';
import { PaymentServiceClient } from './clients/payment-service-client';
import { UserServiceClient } from './clients/user-service-client';
import { type Config, configSpec, SERVICE_NAME } from './config';
import { OrderRepository } from './orders/order-repository';
import { Orders } from './orders/orders';

/** The clients of the two services order-service depends on (one way only: order → user, payment). */
export function dependencyClients(
  runtime: ServiceRuntime,
  config: Pick<Config, 'userServiceUrl' | 'paymentServiceUrl' | 'userServiceTimeoutMs' | 'paymentServiceTimeoutMs'>,
) {
  const onRetry = (details: { peer: string; route: string; attempt: number; reason: string }) =>
    runtime.logger.warn(details, 'retrying a call to a dependency');
  const users = new HttpClient({
    peer: 'user-service',
    baseUrl: config.userServiceUrl,
    timeoutMs: config.userServiceTimeoutMs,
    registry: runtime.metrics,
    onRetry,
  });
  const payments = new HttpClient({
    peer: 'payment-service',
    baseUrl: config.paymentServiceUrl,
    timeoutMs: config.paymentServiceTimeoutMs,
    registry: runtime.metrics,
    onRetry,
  });
  runtime.onClose('dependency clients', () => {
    users.close();
    payments.close();
  });
  return { users: new UserServiceClient(users), payments: new PaymentServiceClient(payments) };
}

/** A payment attempt holds an order for the longest payment call with its retries, and then some. */
export const paymentAttemptStaleMs = (config: Pick<Config, 'paymentServiceTimeoutMs'>) =>
  3 * config.paymentServiceTimeoutMs + 10_000;

/** Starts order-service from its environment: config, database and migrations, then the listener. */
export async function start(environment: NodeJS.ProcessEnv): Promise<ServiceRuntime> {
  const config = loadConfig(configSpec, environment);
  const runtime = createRuntime({ service: SERVICE_NAME, ...config });
  const db = await startDatabase(runtime, config, join(__dirname, 'migrations'));
  const clients = dependencyClients(runtime, config);
  const orders = new Orders(new OrderRepository(db), clients.users, clients.payments, {
    paymentAttemptStaleMs: paymentAttemptStaleMs(config),
  });
  const app = await buildApp({ runtime, orders });
  runtime.onClose('nest', () => app.close());
  await runtime.listen(app.getHttpServer() as Server, config.port, config.host);
  return runtime;
}
