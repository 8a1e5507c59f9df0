export { currentTracing, startTracing, type Tracing, type TracingOptions } from './tracing';
export {
  OTLP_PROTOCOLS,
  SAMPLERS,
  tracesRequested,
  tracingSettings,
  type SamplerName,
  type TracingSettings,
} from './settings';
export { recordRoute, sampledTraceId, traceRequests, type TraceRequestsOptions } from './server';
