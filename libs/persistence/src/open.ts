import type { Database } from './database';
import { openPglite } from './pglite';
import { openPostgres, type PostgresOptions } from './postgres';
import { observeDatabase } from './query-spans';

export interface OpenDatabaseOptions extends Omit<PostgresOptions, 'url'> {
  /** PostgreSQL when set (the cluster); the embedded engine otherwise. */
  readonly url?: string;
  /** Where the embedded engine keeps its data; in memory when absent. */
  readonly dataDir?: string;
}

/**
 * PostgreSQL when a URL is given, else the embedded engine (in `dataDir`, or in memory); either
 * way observed (see `observeDatabase`).
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url === undefined) return observeDatabase(await openPglite({ dataDir: options.dataDir }), {});
  const url = new URL(options.url);
  return observeDatabase(openPostgres({ ...options, url: options.url }), {
    namespace: decodeURIComponent(url.pathname.slice(1)) || undefined,
    serverAddress: url.hostname,
    serverPort: Number(url.port || 5432),
  });
}

/** The readiness check of a database: `/health/ready` is 503 while it does not answer. */
export const databaseHealthCheck = (db: Database, timeoutMs = 1_000) => ({
  name: 'database',
  timeoutMs,
  check: () => db.ping(),
});
