export { currentTracing, SAMPLERS, startTracing, type SamplerName, type Tracing, type TracingOptions } from './tracing';
export { recordRoute, sampledTraceId, traceRequests, type TraceRequestsOptions } from './server';
