import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type Database, isUnavailable, type Queryable, type QueryResult, type Session } from './database';
import { ProblemError } from '@platform/errors';

const tracer = () => trace.getTracer('@platform/persistence');

/** The OpenTelemetry attributes that say which database a query went to. */
export interface DatabaseSpanAttributes {
  readonly namespace?: string;
  readonly serverAddress?: string;
  readonly serverPort?: number;
}

const STATEMENT = /^\s*(\w+)(?:[\s\S]*?\b(?:FROM|INTO|UPDATE|TABLE)\s+"?([a-z_][a-z0-9_]*)"?)?/i;

/** `SELECT users`, `INSERT payments`: the operation and its main table, as OpenTelemetry names database spans. */
function summary(sql: string): { operation: string; collection?: string } {
  const match = STATEMENT.exec(sql);
  const operation = (match?.[1] ?? 'QUERY').toUpperCase();
  const first = (match?.[1] ?? '').toUpperCase();
  const collection =
    first === 'SELECT' || first === 'INSERT' || first === 'UPDATE' || first === 'DELETE' ? match?.[2] : undefined;
  return { operation, collection };
}

/** When the last query succeeded; 0 after a query found the database unreachable. */
interface Liveness {
  lastSuccess: number;
}

const unreachable = (error: unknown) =>
  isUnavailable(error) || (error instanceof ProblemError && error.definition.code === 'service-unavailable');

function observed(target: Queryable, attributes: DatabaseSpanAttributes, liveness: Liveness): Queryable['query'] {
  const track = async <R>(run: Promise<QueryResult<R>>): Promise<QueryResult<R>> => {
    try {
      const result = await run;
      liveness.lastSuccess = performance.now();
      return result;
    } catch (error) {
      if (unreachable(error)) liveness.lastSuccess = 0;
      throw error;
    }
  };
  return async <R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    // Only the queries of a sampled request get a span: the rest cost one lookup.
    if (!trace.getActiveSpan()?.isRecording()) return track(target.query<R>(sql, params));
    const { operation, collection } = summary(sql);
    const parent = context.active();
    const span = tracer().startSpan(
      collection === undefined ? operation : `${operation} ${collection}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'postgresql',
          'db.operation.name': operation,
          // Parameterized: the values never appear in the text.
          'db.query.text': sql.replace(/\s+/g, ' ').trim(),
          ...(collection === undefined ? {} : { 'db.collection.name': collection }),
          ...(attributes.namespace === undefined ? {} : { 'db.namespace': attributes.namespace }),
          ...(attributes.serverAddress === undefined ? {} : { 'server.address': attributes.serverAddress }),
          ...(attributes.serverPort === undefined ? {} : { 'server.port': attributes.serverPort }),
        },
      },
      parent,
    );
    try {
      const result = await track(context.with(trace.setSpan(parent, span), () => target.query<R>(sql, params)));
      span.setAttribute('db.response.returned_rows', result.rows.length);
      return result;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      span.setAttribute('error.type', typeof code === 'string' ? code : 'error');
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  };
}

/** How long a successful query vouches for the database, so readiness need not queue behind traffic. */
export const RECENT_SUCCESS_MS = 5_000;

/**
 * The database as the services use it: a client span for each query made while a sampled request
 * is served, and a readiness ping that does not queue behind traffic: a query that succeeded in
 * the last five seconds answers for the database, unless a later one found it unreachable. (A
 * ping that waits for a pooled connection behind busy requests would fail readiness under load,
 * taking pods out of rotation exactly when they are needed.)
 */
export function observeDatabase(db: Database, attributes: DatabaseSpanAttributes): Database {
  const liveness: Liveness = { lastSuccess: 0 };
  const session = (inner: Session): Session => ({
    query: observed(inner, attributes, liveness),
    exec: (sql) => inner.exec(sql),
  });
  return {
    ...db,
    query: observed(db, attributes, liveness),
    transaction: (work) => db.transaction((tx) => work(session(tx))),
    withSession: (work) => db.withSession((inner) => work(session(inner))),
    ping: async () => {
      if (liveness.lastSuccess > 0 && performance.now() - liveness.lastSuccess < RECENT_SUCCESS_MS) return;
      try {
        await db.ping();
        liveness.lastSuccess = performance.now();
      } catch (error) {
        liveness.lastSuccess = 0;
        throw error;
      }
    },
    close: () => {
      liveness.lastSuccess = 0;
      return db.close();
    },
  };
}
