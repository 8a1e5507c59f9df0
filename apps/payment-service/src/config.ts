import { databaseSettings } from '@platform/persistence';
import { type ConfigOf, env, platformSettings } from '@platform/runtime';

export const SERVICE_NAME = 'payment-service';

export const configSpec = {
  ...platformSettings({ port: 3003 }),
  ...databaseSettings(SERVICE_NAME),
  /** Which provider adapter charges cards; only the built-in sandbox so far. */
  paymentProvider: env.oneOf('PAYMENT_PROVIDER', ['sandbox'], { default: 'sandbox' }),
  providerTimeoutMs: env.milliseconds('PROVIDER_TIMEOUT_MS', { default: 5_000, max: 60_000 }),
};

export type Config = ConfigOf<typeof configSpec>;
