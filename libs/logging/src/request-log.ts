import type { Logger } from 'pino';

export interface CompletedRequest {
  readonly requestId: string;
  readonly method: string;
  /** The route template (`/users/:id`), or `unmatched`; never the raw URL. */
  readonly route: string;
  readonly statusCode: number;
  readonly durationMs: number;
}

/** Probes and scrapes happen every few seconds per replica: they log at debug, not info. */
const QUIET_ROUTES = new Set(['/health/live', '/health/ready', '/health/startup', '/metrics']);

/** Writes the one line that every request produces, with the same fields in every service. */
export function logCompletedRequest(log: Logger, request: CompletedRequest): void {
  const level = request.statusCode >= 500 ? 'error' : QUIET_ROUTES.has(request.route) ? 'debug' : 'info';
  if (!log.isLevelEnabled(level)) return;
  log[level](
    {
      request_id: request.requestId,
      method: request.method,
      route: request.route,
      status_code: request.statusCode,
      duration_ms: Math.round(request.durationMs * 1000) / 1000,
    },
    'request completed',
  );
}
