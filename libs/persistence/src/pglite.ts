import { mkdirSync } from 'node:fs';
import type { PGlite, Results } from '@electric-sql/pglite';
import type { Database, QueryResult, Session } from './database';

export interface PgliteOptions {
  /** Folder that keeps the data across restarts; in memory when absent (tests). */
  readonly dataDir?: string;
}

const toResult = <R>(result: Results<R>): QueryResult<R> => ({
  rows: result.rows,
  rowCount: (result.affectedRows ?? 0) > 0 ? (result.affectedRows as number) : result.rows.length,
});

const queryOn =
  (target: Pick<PGlite, 'query'>) =>
  async <R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> =>
    toResult(await target.query<R>(sql, params as unknown[] | undefined));

/**
 * The embedded engine for local runs and tests: PostgreSQL compiled to WebAssembly (PGlite),
 * so the services speak the same SQL and run the same migrations as in the cluster, with no
 * server. It is one connection, so sessions are serialized in process.
 */
export async function openPglite(options: PgliteOptions = {}): Promise<Database> {
  // Pods may run `--jitless` (the chart's nodeJitless: true), under which WebAssembly does not exist.
  if (!('WebAssembly' in globalThis)) {
    throw new Error(
      'The embedded database (no DATABASE_URL) is PostgreSQL compiled to WebAssembly, which --jitless turns off: set DATABASE_URL, or run without --jitless',
    );
  }
  // Loaded on demand: the production image (PostgreSQL) never pays for the WebAssembly module.
  const { PGlite } = await import('@electric-sql/pglite');
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  const db = new PGlite(options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  await db.waitReady;
  const query = queryOn(db);
  let sessions: Promise<unknown> = Promise.resolve();

  return {
    engine: 'pglite',
    query,
    transaction: (work) =>
      db.transaction((tx) =>
        work({
          query: queryOn(tx),
          exec: async (sql) => {
            await tx.exec(sql);
          },
        }),
      ),
    withSession: <T>(work: (session: Session) => Promise<T>): Promise<T> => {
      const run = sessions.then(() =>
        work({
          query,
          exec: async (sql) => {
            await db.exec(sql);
          },
        }),
      );
      sessions = run.catch(() => undefined);
      return run;
    },
    // In process, the engine answers as long as it is open; a query would only queue the
    // readiness check behind the requests being served.
    ping: async () => {
      if (db.closed) throw new Error('The embedded database is closed.');
    },
    close: async () => {
      if (!db.closed) await db.close();
    },
  };
}
