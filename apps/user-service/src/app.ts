import type { Authenticator } from '@platform/auth';
import type { ServiceRuntime } from '@platform/runtime';
import { expressPlatform } from '@platform/runtime/express';
import express, { type Express } from 'express';
import { api } from './api';
import { usersRouter } from './users/routes';
import type { UserService } from './compose';

export interface AppDependencies {
  readonly runtime: ServiceRuntime;
  readonly auth: Authenticator;
  readonly service: UserService;
}

/** The user-service Express app, not listening: tests and the server both use it. */
export function buildApp({ runtime, auth, service }: AppDependencies): Express {
  const app = express();
  const platform = expressPlatform(runtime, { bodyLimitBytes: 100 * 1024, api, auth });
  app.use(platform.requests);
  app.use(usersRouter(platform.operations(), service.users));
  app.use(platform.errors);
  return app;
}
