import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Database, Queryable, QueryResult, Session } from './database';

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

function observed(target: Queryable, attributes: DatabaseSpanAttributes): Queryable['query'] {
  return async <R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    // Only the queries of a sampled request get a span: the rest cost one lookup.
    if (!trace.getActiveSpan()?.isRecording()) return target.query<R>(sql, params);
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
      const result = await context.with(trace.setSpan(parent, span), () => target.query<R>(sql, params));
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

/** The database with a client span for each query made while a sampled request is being served. */
export function observeDatabase(db: Database, attributes: DatabaseSpanAttributes): Database {
  const session = (inner: Session): Session => ({
    query: observed(inner, attributes),
    exec: (sql) => inner.exec(sql),
  });
  return {
    ...db,
    query: observed(db, attributes),
    transaction: (work) => db.transaction((tx) => work(session(tx))),
    withSession: (work) => db.withSession((inner) => work(session(inner))),
  };
}
