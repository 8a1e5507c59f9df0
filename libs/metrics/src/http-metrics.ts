import { Counter, Histogram, type Registry } from 'prom-client';

/** The route label of a request that matched no route: one value, however many URLs are scanned. */
export const UNMATCHED_ROUTE = 'unmatched';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** Seconds; spans a fast cached read (5 ms) to a slow dependency call (10 s). */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface HttpMetrics {
  /**
   * Records one finished request. `route` must be a template or UNMATCHED_ROUTE, never a raw URL.
   * `traceId`, for a sampled request, becomes the exemplar of its duration bucket (OpenMetrics).
   */
  observe(method: string, route: string, statusCode: number, durationSeconds: number, traceId?: string): void;
}

/**
 * HTTP RED metrics in the Prometheus naming convention. Label values are bounded: methods outside
 * the standard set become `_OTHER` (as in OpenTelemetry), routes are templates, status codes are
 * at most the ~60 HTTP codes. The children of each label set are cached, so the per-request cost
 * is one map lookup and two increments.
 */
export function createHttpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ['method', 'route', 'status_code'] as const;
  const duration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP requests handled by this service, by method, route template and status code.',
    labelNames,
    buckets: DURATION_BUCKETS,
    registers: [registry],
    enableExemplars: true,
  });
  const requests = new Counter({
    name: 'http_server_requests_total',
    help: 'HTTP requests handled by this service, by method, route template and status code.',
    labelNames,
    registers: [registry],
  });
  const children = new Map<
    string,
    {
      labels: Record<(typeof labelNames)[number], string>;
      duration: ReturnType<typeof duration.labels>;
      requests: ReturnType<typeof requests.labels>;
    }
  >();

  return {
    observe(method, route, statusCode, durationSeconds, traceId) {
      const normalizedMethod = KNOWN_METHODS.has(method) ? method : '_OTHER';
      const key = `${normalizedMethod} ${statusCode} ${route}`;
      let child = children.get(key);
      if (child === undefined) {
        const labels = { method: normalizedMethod, route, status_code: String(statusCode) };
        child = { labels, duration: duration.labels(labels), requests: requests.labels(labels) };
        children.set(key, child);
      }
      if (traceId === undefined) child.duration.observe(durationSeconds);
      // prom-client types exemplar labels as the metric's own label names; exemplars have their own.
      else
        duration.observe({
          labels: child.labels,
          value: durationSeconds,
          exemplarLabels: { trace_id: traceId } as never,
        });
      child.requests.inc();
    },
  };
}
