import type { Database } from './database';
import { openPglite } from './pglite';
import { openPostgres, type PostgresOptions } from './postgres';

export interface OpenDatabaseOptions extends Omit<PostgresOptions, 'url'> {
  /** PostgreSQL when set (the cluster); the embedded engine otherwise. */
  readonly url?: string;
  /** Where the embedded engine keeps its data; in memory when absent. */
  readonly dataDir?: string;
}

/** PostgreSQL when a URL is given, else the embedded engine (in `dataDir`, or in memory). */
export function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url !== undefined) return Promise.resolve(openPostgres({ ...options, url: options.url }));
  return openPglite({ dataDir: options.dataDir });
}

/** The readiness check of a database: `/health/ready` is 503 while it does not answer. */
export const databaseHealthCheck = (db: Database, timeoutMs = 1_000) => ({
  name: 'database',
  timeoutMs,
  check: () => db.ping(),
});
