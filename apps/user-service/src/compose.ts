import type { Database } from '@platform/persistence';
import type { BackgroundJob, ServiceRuntime } from '@platform/runtime';
import type { Config } from './config';
import { UserRepository } from './users/user-repository';
import { Users } from './users/users';

/** What user-service needs of its configuration to compose (nothing yet beyond the platform's). */
export type Settings = Pick<Config, never>;

/** user-service's parts: its domain and its background jobs, built once; the app and the server consume them. */
export interface UserService {
  readonly users: Users;
  readonly jobs: readonly BackgroundJob[];
}

/** Builds user-service from its settings, runtime and database (tests pass their own). */
export function compose(_settings: Settings, _runtime: ServiceRuntime, db: Database): UserService {
  return { users: new Users(new UserRepository(db)), jobs: [] };
}
