import type { Authenticator } from '@platform/auth';
import type { ServiceRuntime } from '@platform/runtime';
import { expressPlatform } from '@platform/runtime/express';
import express, { type Express } from 'express';
import { api } from './api';
import { usersRouter } from './users/routes';
import type { Users } from './users/users';

export interface AppDependencies {
  readonly runtime: ServiceRuntime;
  readonly auth: Authenticator;
  readonly users: Users;
}

/** The user-service Express app, not listening: tests and the server both use it. */
export function buildApp({ runtime, auth, users }: AppDependencies): Express {
  const app = express();
  const platform = expressPlatform(runtime, { bodyLimitBytes: 100 * 1024, api, auth });
  platform.before(app);
  app.use(usersRouter(platform.router(), users));
  platform.after(app);
  return app;
}
