import pino, { type Logger } from 'pino';
import { isoTime, traceFields } from './logger';
import { redactCardNumbers } from './redact';

export interface CompletedRequest {
  /** The request id: a UUID, or the caller's id when it was plain (`requestIdFrom`). */
  readonly requestId: string;
  /** An HTTP method token (RFC 9110 `tchar`s). */
  readonly method: string;
  /** The route template (`/users/:id`), or `unmatched`; never the raw URL. */
  readonly route: string;
  readonly statusCode: number;
  readonly durationMs: number;
  /** Who called, as their bearer token proved it (a person's subject, a service account); never the token. */
  readonly principal?: string;
}

/** Probes and scrapes happen every few seconds per replica: they log at debug, not info. */
const QUIET_ROUTES = new Set(['/health/live', '/health/ready', '/health/startup', '/metrics']);

interface LineParts {
  /** `{"level":"info"` … per level, and the logger's bindings (`,"service":…,"version":…`). */
  readonly prefix: Record<'debug' | 'info' | 'error', string>;
  readonly bindings: string;
  readonly stream: { write(line: string): unknown };
}

const parts = new WeakMap<Logger, LineParts>();

function partsOf(log: Logger): LineParts {
  let found = parts.get(log);
  if (found === undefined) {
    const symbols = pino.symbols as unknown as Record<'chindingsSym' | 'streamSym', symbol>;
    const internals = log as unknown as Record<symbol, unknown>;
    found = {
      prefix: { debug: '{"level":"debug"', info: '{"level":"info"', error: '{"level":"error"' },
      bindings: String(internals[symbols.chindingsSym] ?? ''),
      stream: internals[symbols.streamSym] as LineParts['stream'],
    };
    parts.set(log, found);
  }
  return found;
}

const fieldsOf = (trace: Record<string, string>): string =>
  trace['trace_id'] === undefined ? '' : `,"trace_id":"${trace['trace_id']}","span_id":"${trace['span_id']}"`;

/**
 * Writes the one line that every request produces, with the same fields in every service and in
 * the same schema as every other line (`level`, `time`, the logger's bindings, trace ids, fields,
 * `msg`). It is the line written most often, so it is put together directly instead of through
 * pino's serializers and the redaction hook: every value in it is the platform's own (a request
 * id that `requestIdFrom` made or checked, a method token, a route template, numbers) but the
 * principal, an identity provider's subject: it alone is escaped and redacted.
 */
export function logCompletedRequest(log: Logger, request: CompletedRequest): void {
  const level = request.statusCode >= 500 ? 'error' : QUIET_ROUTES.has(request.route) ? 'debug' : 'info';
  if (!log.isLevelEnabled(level)) return;
  const { prefix, bindings, stream } = partsOf(log);
  const principal =
    request.principal === undefined ? '' : `,"principal":${JSON.stringify(redactCardNumbers(request.principal))}`;
  stream.write(
    `${prefix[level]}${isoTime()}${bindings}${fieldsOf(traceFields())},"request_id":"${request.requestId}","method":"${request.method}","route":${JSON.stringify(request.route)},"status_code":${request.statusCode},"duration_ms":${Math.round(request.durationMs * 1000) / 1000}${principal},"msg":"request completed"}\n`,
  );
}
