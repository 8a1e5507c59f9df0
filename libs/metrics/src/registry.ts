import { collectDefaultMetrics, type Metric, Registry, type RegistryContentType } from 'prom-client';

export interface MetricsRegistryOptions {
  /** Node.js process metrics (CPU, memory, event loop lag, GC). On by default. */
  readonly defaultMetrics?: boolean;
}

/**
 * A registry per process (passed around, never the global one), with the process metrics in it.
 * It is an OpenMetrics registry, the only kind prom-client lets histograms keep exemplars in;
 * `scrape` renders it in whichever format the scraper asks for.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}

export interface MetricsResponse {
  readonly contentType: string;
  readonly body: string;
}

/** Whether a scraper asks for OpenMetrics (Prometheus does when exemplar storage is on). */
export const wantsOpenMetrics = (accept: string | undefined): boolean =>
  accept !== undefined && /\bapplication\/openmetrics-text\b/i.test(accept);

/**
 * OpenMetrics names a counter family without its `_total` suffix and puts the suffix on the
 * samples; prom-client adds that suffix to whatever name it renders, so counters already named
 * `…_total` (the Prometheus convention) are shown under their family name.
 */
function openMetricsView(metric: Metric): Metric {
  const { name } = metric as unknown as { name: string };
  const type = (metric as unknown as { type?: string }).type;
  if (type !== 'counter' || !name.endsWith('_total')) return metric;
  const family = name.slice(0, -'_total'.length);
  return new Proxy(metric, {
    get(target, property, receiver) {
      if (property === 'name') return family;
      if (property === 'get') return async () => ({ ...(await target.get()), name: family });
      return Reflect.get(target, property, receiver);
    },
  });
}

/**
 * What `GET /metrics` answers: OpenMetrics (with the exemplars that link a latency bucket to a
 * trace) when the scraper asks for it in `Accept`, the Prometheus text format otherwise. Both are
 * rendered by a view of the registry's metrics, so one set of metrics serves either format.
 */
export async function scrape(registry: Registry, accept?: string): Promise<MetricsResponse> {
  const openMetrics = wantsOpenMetrics(accept);
  const view = new Registry<RegistryContentType>();
  view.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
  // getMetricsAsArray returns the metric objects themselves (typed as their rendered shape).
  for (const metric of registry.getMetricsAsArray() as unknown as Metric[]) {
    view.registerMetric(openMetrics ? openMetricsView(metric) : metric);
  }
  return { contentType: view.contentType, body: await view.metrics() };
}

export const METRICS_PATH = '/metrics';
