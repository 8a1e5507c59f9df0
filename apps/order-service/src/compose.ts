import { TokenFile } from '@platform/auth';
import { HttpClient } from '@platform/http-client';
import { Checkpoints, type Database } from '@platform/persistence';
import type { BackgroundJob, ServiceRuntime } from '@platform/runtime';
import { PaymentServiceClient } from './clients/payment-service-client';
import { UserServiceClient } from './clients/user-service-client';
import { OrderRepository } from './orders/order-repository';
import { Orders } from './orders/orders';
import { Reconciler } from './orders/reconciler';
import type { Config } from './config';

/** What order-service needs of its configuration to compose. */
export type Settings = Pick<
  Config,
  | 'userServiceUrl'
  | 'paymentServiceUrl'
  | 'userServiceTimeoutMs'
  | 'paymentServiceTimeoutMs'
  | 'userServiceTokenFile'
  | 'paymentServiceTokenFile'
  | 'paymentAttemptHoldMs'
  | 'reconcileIntervalMs'
  | 'reconcileAfterMs'
  | 'reconcileWatchMs'
>;

/** A payment attempt holds an order as configured, else for the longest payment call with its retries, and then some. */
export const paymentAttemptStaleMs = (settings: Pick<Settings, 'paymentServiceTimeoutMs' | 'paymentAttemptHoldMs'>) =>
  settings.paymentAttemptHoldMs ?? 3 * settings.paymentServiceTimeoutMs + 10_000;

/** order-service's parts: its domain, the reconciler that heals it, its background jobs. */
export interface OrderService {
  readonly orders: Orders;
  readonly reconciler: Reconciler;
  readonly jobs: readonly BackgroundJob[];
}

/**
 * Builds order-service from its settings, runtime and database: the orders on their repository,
 * user-service and payment-service behind their ports (over HTTP, each call with order-service's
 * own token for that service), and the reconciler, which runs in the background of every replica
 * (they share the work through leases). The clients' connections close on shutdown.
 */
export function compose(settings: Settings, runtime: ServiceRuntime, db: Database): OrderService {
  const onRetry = (details: { peer: string; route: string; attempt: number; reason: string }) =>
    runtime.logger.warn(details, 'retrying a call to a dependency');
  const client = (peer: string, baseUrl: URL, timeoutMs: number) => {
    const http = new HttpClient({ peer, baseUrl, timeoutMs, registry: runtime.metrics, onRetry });
    runtime.onClose(`${peer} client`, () => http.close());
    return http;
  };
  const users = new UserServiceClient(
    client('user-service', settings.userServiceUrl, settings.userServiceTimeoutMs),
    new TokenFile(settings.userServiceTokenFile),
  );
  const payments = new PaymentServiceClient(
    client('payment-service', settings.paymentServiceUrl, settings.paymentServiceTimeoutMs),
    new TokenFile(settings.paymentServiceTokenFile),
  );
  const timing = { ...settings, paymentAttemptStaleMs: paymentAttemptStaleMs(settings) };
  const repository = new OrderRepository(db);
  const orders = new Orders(repository, users, payments, timing);
  const reconciler = new Reconciler(repository, payments, new Checkpoints(db), timing);
  const jobs: BackgroundJob[] = [
    {
      name: 'reconcile orders',
      intervalMs: settings.reconcileIntervalMs,
      run: (report) => reconciler.reconcile(report),
    },
  ];
  return { orders, reconciler, jobs };
}
