import type { Config } from './config';

/** What the orders and their clients need of the configuration (tests pass their own). */
export type OrderServiceSettings = Pick<
  Config,
  | 'userServiceUrl'
  | 'paymentServiceUrl'
  | 'userServiceTimeoutMs'
  | 'paymentServiceTimeoutMs'
  | 'userServiceTokenFile'
  | 'paymentServiceTokenFile'
  | 'reconcileIntervalMs'
  | 'reconcileAfterMs'
  | 'reconcileWatchMs'
> & {
  /** How long a payment attempt holds an order before another may take it over. */
  readonly paymentAttemptStaleMs: number;
};

/** A payment attempt holds an order as configured, else for the longest payment call with its retries, and then some. */
export const paymentAttemptStaleMs = (config: Pick<Config, 'paymentServiceTimeoutMs' | 'paymentAttemptHoldMs'>) =>
  config.paymentAttemptHoldMs ?? 3 * config.paymentServiceTimeoutMs + 10_000;

export const ORDER_SERVICE_CONFIG = Symbol('ORDER_SERVICE_CONFIG');
export const DATABASE = Symbol('DATABASE');
