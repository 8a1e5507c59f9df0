export { createHttpMetrics, DURATION_BUCKETS, UNMATCHED_ROUTE, type HttpMetrics } from './http-metrics';
export {
  createMetricsRegistry,
  METRICS_PATH,
  scrape,
  type MetricsRegistryOptions,
  type MetricsResponse,
} from './registry';
export { createPoolMetrics, type PoolState } from './pool-metrics';
export { createTaskMetrics, type TaskMetrics } from './task-metrics';
export type { Registry } from 'prom-client';
