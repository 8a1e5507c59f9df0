import { LOG_LEVELS } from '@platform/logging';
import { SAMPLERS } from '@platform/tracing';
import { env } from './config';

/**
 * The settings every service shares. A service spreads them into its own spec:
 * `loadConfig({ ...platformSettings({ port: 3001 }), databaseUrl: … })`.
 */
export const platformSettings = (defaults: { readonly port: number }) => ({
  port: env.port('PORT', { default: defaults.port }),
  /** The version this process reports in logs, traces and metrics: the image tag in the cluster. */
  version: env.string('SERVICE_VERSION', { default: 'dev', pattern: /^[\w.+-]{1,128}$/ }),
  host: env.string('HOST', { default: '0.0.0.0' }),
  logLevel: env.oneOf('LOG_LEVEL', LOG_LEVELS, { default: 'info' }),
  logFormat: env.oneOf('LOG_FORMAT', ['json', 'pretty'], { default: 'json' }),
  /** The per-request log line and HTTP metrics; off only to measure what they cost (the benchmark). */
  requestTelemetry: env.boolean('REQUEST_TELEMETRY', { default: true }),
  /** How long in-flight requests get to finish after SIGTERM before their connections are cut. */
  drainTimeoutMs: env.milliseconds('SHUTDOWN_DRAIN_TIMEOUT_MS', { default: 10_000 }),
  /** A pause between failing readiness and closing the listener (0 when a preStop hook pauses). */
  shutdownDelayMs: env.milliseconds('SHUTDOWN_DELAY_MS', { default: 0 }),
  /**
   * How long an idle keep-alive connection stays open: longer than the load balancer's idle
   * timeout (60 s on an ALB), so the server never closes a connection the balancer is about to reuse.
   */
  keepAliveTimeoutMs: env.milliseconds('HTTP_KEEP_ALIVE_TIMEOUT_MS', { default: 65_000 }),
  ...tracingSettings(),
});

const http = ['http:', 'https:'];

/** The OpenTelemetry SDK's standard variables that the platform's tracing honours. */
const tracingSettings = () => ({
  /** The collector's OTLP/HTTP base URL; traces go to `<it>/v1/traces`. Unset: no tracing. */
  otlpEndpoint: env.optionalUrl('OTEL_EXPORTER_OTLP_ENDPOINT', { protocols: http }),
  /** The full traces URL, when it is not `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`. */
  otlpTracesEndpoint: env.optionalUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', { protocols: http }),
  otelSdkDisabled: env.boolean('OTEL_SDK_DISABLED', { default: false }),
  tracesSampler: env.oneOf('OTEL_TRACES_SAMPLER', SAMPLERS, { default: 'parentbased_always_on' }),
  tracesSamplerArg: env.ratio('OTEL_TRACES_SAMPLER_ARG', { default: 1 }),
  resourceAttributes: env.keyValues('OTEL_RESOURCE_ATTRIBUTES'),
  /** How long finished spans wait before a batch is exported. */
  spanExportDelayMs: env.milliseconds('OTEL_BSP_SCHEDULE_DELAY', { default: 1_000, max: 60_000 }),
});
