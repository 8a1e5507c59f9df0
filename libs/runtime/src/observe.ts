import { type Logger, logCompletedRequest, requestIdFrom } from '@platform/logging';
import { UNMATCHED_ROUTE } from '@platform/metrics';
import type { ServiceRuntime } from './runtime';

/**
 * One request as the platform sees it: its id (the caller's `x-request-id` or a new one), a
 * logger bound to that id (made only if the handler logs), and, when it finishes, the one request
 * log line and the RED metrics, both from the same measurement.
 */
export class ObservedRequest {
  readonly id: string;
  readonly #runtime: ServiceRuntime;
  readonly #started = performance.now();
  #log?: Logger;
  #finished = false;

  constructor(runtime: ServiceRuntime, requestIdHeader: string | string[] | undefined) {
    this.#runtime = runtime;
    this.id = requestIdFrom(requestIdHeader);
  }

  get log(): Logger {
    this.#log ??= this.#runtime.logger.child({ request_id: this.id });
    return this.#log;
  }

  /** Records the request once; `route` is the matched template, undefined when nothing matched. */
  finish(method: string, route: string | undefined, statusCode: number): void {
    if (this.#finished) return;
    this.#finished = true;
    if (!this.#runtime.requestTelemetry) return;
    const durationMs = performance.now() - this.#started;
    const routeLabel = route ?? UNMATCHED_ROUTE;
    this.#runtime.httpMetrics.observe(method, routeLabel, statusCode, durationMs / 1000);
    logCompletedRequest(this.#runtime.logger, {
      requestId: this.id,
      method,
      route: routeLabel,
      statusCode,
      durationMs,
    });
  }
}
