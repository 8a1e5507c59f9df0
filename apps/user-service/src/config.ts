import { databaseSettings } from '@platform/persistence';
import { type ConfigOf, identitySettings, platformSettings } from '@platform/runtime';

export const SERVICE_NAME = 'user-service';

export const configSpec = {
  ...platformSettings(SERVICE_NAME),
  ...databaseSettings(SERVICE_NAME),
  // Its callers (order-service checks who owns the user an order is for) come from deploy/services.json.
  ...identitySettings(SERVICE_NAME),
};

export type Config = ConfigOf<typeof configSpec>;
