import { databaseSettings } from '@platform/persistence';
import { type ConfigOf, platformSettings } from '@platform/runtime';

export const SERVICE_NAME = 'user-service';

export const configSpec = {
  ...platformSettings({ port: 3001 }),
  ...databaseSettings(SERVICE_NAME),
};

export type Config = ConfigOf<typeof configSpec>;
