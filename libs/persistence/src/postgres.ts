import pg from 'pg';
import { type Database, type QueryResult, type Session, translateDatabaseError } from './database';

export interface PostgresOptions {
  readonly url: string;
  readonly poolMax?: number;
  /** How long to wait for a connection (pool slot or TCP + auth) before failing. */
  readonly connectTimeoutMs?: number;
  /** How long one statement may run; enforced by the server and by the client. */
  readonly statementTimeoutMs?: number;
  readonly applicationName?: string;
  /** Told about errors of idle pooled connections (the server went away); they are not fatal. */
  readonly onIdleError?: (error: Error) => void;
}

// int8 (COUNT(*), sums of cents) as a JS number, as the embedded engine returns it. Money in this
// system stays far below 2^53 minor units.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const wrap = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error);
  }
};

const queryOn =
  (client: pg.Pool | pg.PoolClient) =>
  async <R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    const result = await client.query(sql, params as unknown[] | undefined);
    return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
  };

const sessionOn = (client: pg.PoolClient): Session => ({
  query: queryOn(client),
  exec: async (sql) => {
    await client.query(sql);
  },
});

/** PostgreSQL through a connection pool: how every service runs in the cluster. */
export function openPostgres(options: PostgresOptions): Database {
  const statementTimeoutMs = options.statementTimeoutMs ?? 5_000;
  const max = options.poolMax ?? 10;
  const pool = new pg.Pool({
    connectionString: options.url,
    max,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2_000,
    idleTimeoutMillis: 10_000,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 1_000,
    application_name: options.applicationName,
    keepAlive: true,
    types,
  });
  pool.on('error', (error) => options.onIdleError?.(error));
  const query = queryOn(pool);

  // Readiness pings on a connection of their own: a ping that waited for a pooled connection
  // behind busy requests would fail readiness under load, taking pods out of rotation exactly when
  // they are needed. One more connection per process than the pool's maximum.
  let probe: Promise<pg.Client> | undefined;
  const dropProbe = () => {
    const dropped = probe;
    probe = undefined;
    void dropped?.then((client) => client.end()).catch(() => undefined);
  };
  const probeClient = () =>
    (probe ??= (async () => {
      const client = new pg.Client({
        connectionString: options.url,
        connectionTimeoutMillis: options.connectTimeoutMs ?? 2_000,
        statement_timeout: statementTimeoutMs,
        query_timeout: statementTimeoutMs + 1_000,
        application_name: options.applicationName === undefined ? undefined : `${options.applicationName} readiness`,
        keepAlive: true,
      });
      client.on('error', dropProbe);
      await client.connect();
      return client;
    })());

  const withClient = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await wrap(() => pool.connect());
    let broken: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      if (error instanceof Error && translateDatabaseError(error) !== error) broken = error;
      throw error;
    } finally {
      // A connection that failed mid-way is destroyed rather than returned to the pool.
      client.release(broken);
    }
  };

  return {
    engine: 'postgres',
    query: (sql, params) => wrap(() => query(sql, params)),
    transaction: (work) =>
      wrap(() =>
        withClient(async (client) => {
          await client.query('BEGIN');
          try {
            const result = await work(sessionOn(client));
            await client.query('COMMIT');
            return result;
          } catch (error) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw error;
          }
        }),
      ),
    withSession: (work) => wrap(() => withClient((client) => work(sessionOn(client)))),
    ping: () =>
      wrap(async () => {
        try {
          await (await probeClient()).query('SELECT 1');
        } catch (error) {
          dropProbe();
          throw error;
        }
      }),
    connections: () => ({
      max,
      used: pool.totalCount - pool.idleCount,
      idle: pool.idleCount,
      pending: pool.waitingCount,
    }),
    close: async () => {
      dropProbe();
      await pool.end();
    },
  };
}
