import { problems, ProblemError } from '@platform/errors';

export interface QueryResult<R> {
  readonly rows: R[];
  /** Rows returned, or rows changed by INSERT/UPDATE/DELETE without RETURNING. */
  readonly rowCount: number;
}

/** What repositories use: parameterized SQL, the same on both engines. */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

/** A single connection held for a while (migrations): multi-statement scripts and session locks. */
export interface Session extends Queryable {
  /** Runs a script of several statements without parameters. */
  exec(sql: string): Promise<void>;
}

export type Engine = 'postgres' | 'pglite';

export interface Database extends Queryable {
  readonly engine: Engine;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Session) => Promise<T>): Promise<T>;
  /** Runs `work` on one dedicated connection. */
  withSession<T>(work: (session: Session) => Promise<T>): Promise<T>;
  /** Resolves when the database answers; the readiness check. */
  ping(): Promise<void>;
  /** The connection pool's state now (engines with a pool: PostgreSQL). */
  connections?(): ConnectionStats;
  close(): Promise<void>;
}

/** A connection pool's state: its maximum, connections in use and idle, and requests waiting for one. */
export interface ConnectionStats {
  readonly max: number;
  readonly used: number;
  readonly idle: number;
  readonly pending: number;
}

/** SQLSTATE of a unique-constraint violation. */
export const UNIQUE_VIOLATION = '23505';

export const isUniqueViolation = (error: unknown, constraint?: string): boolean =>
  typeof error === 'object' &&
  error !== null &&
  (error as { code?: unknown }).code === UNIQUE_VIOLATION &&
  (constraint === undefined || (error as { constraint?: unknown }).constraint === constraint);

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '57014', // query_canceled (statement_timeout)
  '53300', // too_many_connections
]);

const CONNECTION_ERROR_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'connect ECONNREFUSED',
];

/** Whether an error means the database could not be reached in time (not that the query was wrong). */
export function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true;
  return typeof message === 'string' && CONNECTION_ERROR_MESSAGES.some((m) => message.includes(m));
}

/** How long clients are told to wait before retrying while the database is away. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/**
 * An outage becomes a 503 problem (the client may retry; nothing is half-written because each
 * write is one transaction). Any other error is a bug and goes on unchanged.
 */
export function translateDatabaseError(error: unknown): unknown {
  if (error instanceof ProblemError || !isUnavailable(error)) return error;
  return new ProblemError(problems.serviceUnavailable, 'The service cannot reach its database; try again shortly.', {
    headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
    cause: error,
  });
}
