import { databaseSettings } from '@platform/persistence';
import { type ConfigOf, env, identitySettings, platformSettings } from '@platform/runtime';

export const SERVICE_NAME = 'order-service';

const http = ['http:', 'https:'];

export const configSpec = {
  ...platformSettings({ port: 3002 }),
  ...databaseSettings(SERVICE_NAME),
  ...identitySettings(SERVICE_NAME),
  userServiceUrl: env.url('USER_SERVICE_URL', { protocols: http, default: new URL('http://localhost:3001') }),
  paymentServiceUrl: env.url('PAYMENT_SERVICE_URL', { protocols: http, default: new URL('http://localhost:3003') }),
  /** Per attempt, for user-service. Three attempts at most, so a hung user-service costs about 3x this. */
  userServiceTimeoutMs: env.milliseconds('USER_SERVICE_TIMEOUT_MS', { default: 1_000, max: 30_000 }),
  /** Per attempt, for payment-service; above its provider timeout (5 s by default). */
  paymentServiceTimeoutMs: env.milliseconds('PAYMENT_SERVICE_TIMEOUT_MS', { default: 8_000, max: 60_000 }),
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
