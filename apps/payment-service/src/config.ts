import { databaseSettings } from '@platform/persistence';
import { type ConfigOf, env, identitySettings, platformSettings } from '@platform/runtime';

export const SERVICE_NAME = 'payment-service';

export const configSpec = {
  ...platformSettings(SERVICE_NAME),
  ...databaseSettings(SERVICE_NAME),
  // An internal ledger: the services deploy/services.json says call it (order-service) move money;
  // people never call it but administrators.
  ...identitySettings(SERVICE_NAME),
  /** Which provider adapter charges cards; only the built-in sandbox so far. */
  paymentProvider: env.oneOf('PAYMENT_PROVIDER', ['sandbox'], { default: 'sandbox' }),
  providerTimeoutMs: env.milliseconds('PROVIDER_TIMEOUT_MS', { default: 5_000, max: 60_000 }),
  /**
   * When a charge or refund still in progress counts as abandoned by a crash (unset: 4 x
   * PROVIDER_TIMEOUT_MS + 10 s, longer than any live request), and how often those are settled
   * with the provider: one is settled within the sum of the two.
   */
  abandonedAfterMs: env.optionalMilliseconds('ABANDONED_AFTER_MS'),
  settleIntervalMs: env.milliseconds('SETTLE_INTERVAL_MS', { default: 10_000, max: 600_000 }),
  /**
   * How often the provider's ledger is compared with the payments (charges up to ABANDONED_AFTER_MS
   * ago, resuming where the last pass stopped): a charge nobody recorded is recorded, or refunded.
   */
  ledgerIntervalMs: env.milliseconds('LEDGER_INTERVAL_MS', { default: 60_000, max: 3_600_000 }),
};

export type Config = ConfigOf<typeof configSpec>;
