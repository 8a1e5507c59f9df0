import { databaseSettings } from '@platform/persistence';
import { serviceAccountName } from '@platform/auth';
import { type ConfigOf, env, identitySettings, platformSettings } from '@platform/runtime';

export const SERVICE_NAME = 'payment-service';

export const configSpec = {
  ...platformSettings({ port: 3003 }),
  ...databaseSettings(SERVICE_NAME),
  // An internal ledger: order-service moves money; people never call it but administrators.
  ...identitySettings(SERVICE_NAME, { allowedCallers: [serviceAccountName('order-service', 'order-service')] }),
  /** Which provider adapter charges cards; only the built-in sandbox so far. */
  paymentProvider: env.oneOf('PAYMENT_PROVIDER', ['sandbox'], { default: 'sandbox' }),
  providerTimeoutMs: env.milliseconds('PROVIDER_TIMEOUT_MS', { default: 5_000, max: 60_000 }),
};

export type Config = ConfigOf<typeof configSpec>;
