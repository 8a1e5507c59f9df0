import type { IncomingMessage } from 'node:http';
import { principalName, principalOf } from '@platform/auth';
import { type Logger, logCompletedRequest, REQUEST_ID_HEADER, requestIdFrom } from '@platform/logging';
import { UNMATCHED_ROUTE } from '@platform/metrics';
import { recordRoute, sampledTraceId } from '@platform/tracing';
import type { ServiceRuntime } from './runtime';

/**
 * One request as the platform sees it: its id (the caller's `x-request-id` or a new one), a
 * logger bound to that id (made only if the handler logs), and, when it finishes, the one request
 * log line, the RED metrics (with the trace id of a sampled request as an exemplar) and the route
 * on its server span, all from the same measurement.
 */
export class ObservedRequest {
  readonly id: string;
  readonly #runtime: ServiceRuntime;
  readonly #raw: IncomingMessage;
  readonly #started = performance.now();
  #log?: Logger;
  #finished = false;

  /** `id` when the framework made it already (Fastify's `genReqId`), else from the request's header. */
  constructor(runtime: ServiceRuntime, raw: IncomingMessage, id = requestIdFrom(raw.headers[REQUEST_ID_HEADER])) {
    this.#runtime = runtime;
    this.#raw = raw;
    this.id = id;
  }

  get log(): Logger {
    this.#log ??= this.#runtime.logger.child({ request_id: this.id });
    return this.#log;
  }

  #principal(): string | undefined {
    const principal = principalOf(this.#raw);
    return principal === undefined ? undefined : principalName(principal);
  }

  /** Records the request once; `route` is the matched template, undefined when nothing matched. */
  finish(route: string | undefined, statusCode: number): void {
    if (this.#finished) return;
    this.#finished = true;
    const method = this.#raw.method ?? 'GET';
    if (route !== undefined) recordRoute(this.#raw, route);
    if (!this.#runtime.requestTelemetry) return;
    const durationMs = performance.now() - this.#started;
    const routeLabel = route ?? UNMATCHED_ROUTE;
    this.#runtime.httpMetrics.observe(method, routeLabel, statusCode, durationMs / 1000, sampledTraceId(this.#raw));
    logCompletedRequest(this.#runtime.logger, {
      requestId: this.id,
      method,
      route: routeLabel,
      statusCode,
      durationMs,
      principal: this.#principal(),
    });
  }
}
