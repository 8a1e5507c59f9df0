import { collectDefaultMetrics, Registry } from 'prom-client';

export interface MetricsRegistryOptions {
  /** Node.js process metrics (CPU, memory, event loop lag, GC). On by default. */
  readonly defaultMetrics?: boolean;
}

/** A registry per process (passed around, never the global one), with the process metrics in it. */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}

export interface MetricsResponse {
  readonly contentType: string;
  readonly body: string;
}

/** What `GET /metrics` answers, in the Prometheus text format. */
export async function scrape(registry: Registry): Promise<MetricsResponse> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

export const METRICS_PATH = '/metrics';
