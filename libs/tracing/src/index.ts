export {
  currentTracing,
  startTracing,
  tracingRequested,
  type Framework,
  type Tracing,
  type TracingOptions,
} from './tracing';
