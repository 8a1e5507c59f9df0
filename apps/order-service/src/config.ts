import { databaseSettings } from '@platform/persistence';
import { type ConfigOf, env, identitySettings, platformSettings } from '@platform/runtime';
import { localUrl } from '@platform/system';

export const SERVICE_NAME = 'order-service';

const http = ['http:', 'https:'];

export const configSpec = {
  ...platformSettings(SERVICE_NAME),
  ...databaseSettings(SERVICE_NAME),
  ...identitySettings(SERVICE_NAME),
  // The services it calls (deploy/services.json), where they listen locally unless set.
  userServiceUrl: env.url('USER_SERVICE_URL', { protocols: http, default: localUrl('user-service') }),
  paymentServiceUrl: env.url('PAYMENT_SERVICE_URL', { protocols: http, default: localUrl('payment-service') }),
  /** Per attempt, for user-service. Three attempts at most, so a hung user-service costs about 3x this. */
  userServiceTimeoutMs: env.milliseconds('USER_SERVICE_TIMEOUT_MS', { default: 1_000, max: 30_000 }),
  /** Per attempt, for payment-service; above its provider timeout (5 s by default). */
  paymentServiceTimeoutMs: env.milliseconds('PAYMENT_SERVICE_TIMEOUT_MS', { default: 8_000, max: 60_000 }),
  /**
   * How long a payment attempt holds an order before another attempt, a cancel or the reconciler
   * may overrule it (unset: 3 x PAYMENT_SERVICE_TIMEOUT_MS + 10 s, longer than a call with its retries).
   */
  paymentAttemptHoldMs: env.optionalMilliseconds('PAYMENT_ATTEMPT_HOLD_MS'),
  /**
   * The reconciler, which heals orders a crash left half-finished: how often it runs, and how long
   * after a payment attempt or a cancel began it checks the order against payment-service. That
   * must exceed a payment attempt's hold (PAYMENT_ATTEMPT_HOLD_MS) and the time payment-service
   * takes to settle a charge it was left with (its ABANDONED_AFTER_MS plus SETTLE_INTERVAL_MS).
   * With the defaults an order heals within about 80 s of a crash.
   */
  reconcileIntervalMs: env.milliseconds('RECONCILE_INTERVAL_MS', { default: 15_000, max: 600_000 }),
  reconcileAfterMs: env.milliseconds('RECONCILE_AFTER_MS', { default: 60_000, max: 3_600_000 }),
  /**
   * How long the reconciler keeps looking (every RECONCILE_AFTER_MS) at an order whose payment
   * attempt went quiet or was overruled: as long as payment-service may be down and then settle a
   * charge that attempt left in progress there.
   */
  reconcileWatchMs: env.milliseconds('RECONCILE_WATCH_MS', { default: 3_600_000, max: 86_400_000 }),
  /**
   * order-service's own tokens for its calls, one per audience: projected service-account tokens
   * in the cluster (the kubelet rotates them), written by the local issuer under .data locally.
   */
  userServiceTokenFile: env.string('USER_SERVICE_TOKEN_FILE', { default: '.data/tokens/order-service/user-service' }),
  paymentServiceTokenFile: env.string('PAYMENT_SERVICE_TOKEN_FILE', {
    default: '.data/tokens/order-service/payment-service',
  }),
};

export type Config = ConfigOf<typeof configSpec>;
