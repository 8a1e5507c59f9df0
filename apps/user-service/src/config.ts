import { databaseSettings } from '@platform/persistence';
import { serviceAccountName } from '@platform/auth';
import { type ConfigOf, identitySettings, platformSettings } from '@platform/runtime';

export const SERVICE_NAME = 'user-service';

export const configSpec = {
  ...platformSettings({ port: 3001 }),
  ...databaseSettings(SERVICE_NAME),
  // order-service checks who owns the user an order is for.
  ...identitySettings(SERVICE_NAME, { allowedCallers: [serviceAccountName('order-service', 'order-service')] }),
};

export type Config = ConfigOf<typeof configSpec>;
