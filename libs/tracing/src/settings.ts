import { type ConfigOf, env, type Setting } from '@platform/config';

/** The samplers of the OpenTelemetry specification, by their `OTEL_TRACES_SAMPLER` names. */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** The OTLP encodings the Node SDK's trace exporters speak. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;

const http = ['http:', 'https:'];

/** A list where `none` means nothing at all, so it stands alone (the SDK would quietly ignore it). */
const noneAlone = <T extends string>(list: Setting<readonly T[]>): Setting<readonly T[]> => ({
  ...list,
  read(raw) {
    const items = list.read(raw);
    if (items.length > 1 && (items as readonly string[]).includes('none'))
      throw new Error(`lists none beside others (got ${JSON.stringify(raw?.slice(0, 80))}); none stands alone`);
    return items;
  },
});
const SERVICE_NAME = /^[\x21-\x7e]{1,255}$/;

/**
 * The OpenTelemetry SDK's standard variables, checked at start-up like the rest of the
 * configuration: a bad value stops the service with one line naming the variable, where the SDK
 * itself would log a warning and carry on with its default. The Node SDK then reads them itself
 * from the process's environment (the standard way), so each means exactly what the
 * specification says. Defaults are the SDK's own.
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 */
export const tracingSettings = (service: string) => ({
  /** `true` turns the SDK off: no spans, nothing propagated, the SDK not even loaded. */
  otelSdkDisabled: env.boolean('OTEL_SDK_DISABLED', { default: false, words: true }),
  /** `service.name` in every span's resource; the service's own name by default. */
  otelServiceName: env.string('OTEL_SERVICE_NAME', { default: service, pattern: SERVICE_NAME }),
  /** Extra resource attributes: the pod, the namespace, the track (the chart sets them). */
  resourceAttributes: env.keyValues('OTEL_RESOURCE_ATTRIBUTES'),
  /** `otlp` (the default), `console` (spans to standard output, for debugging) or `none`. */
  tracesExporter: noneAlone(env.listOf('OTEL_TRACES_EXPORTER', ['otlp', 'console', 'none'], { default: ['otlp'] })),
  /** The collector's base URL; traces go to `<it>/v1/traces`. Without it (or the next), no tracing. */
  otlpEndpoint: env.optionalUrl('OTEL_EXPORTER_OTLP_ENDPOINT', { protocols: http }),
  /** The full traces URL, when it is not `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`. */
  otlpTracesEndpoint: env.optionalUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', { protocols: http }),
  otlpProtocol: env.oneOf('OTEL_EXPORTER_OTLP_PROTOCOL', OTLP_PROTOCOLS, { default: 'http/protobuf' }),
  otlpTracesProtocol: env.optionalOneOf('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', OTLP_PROTOCOLS),
  /** Headers sent with every export (`api-key=…`): secret, never echoed. */
  otlpHeaders: env.keyValues('OTEL_EXPORTER_OTLP_HEADERS', { secret: true }),
  otlpTracesHeaders: env.keyValues('OTEL_EXPORTER_OTLP_TRACES_HEADERS', { secret: true }),
  /** How long one export may take. */
  otlpTimeoutMs: env.milliseconds('OTEL_EXPORTER_OTLP_TIMEOUT', { default: 10_000, max: 120_000 }),
  otlpTracesTimeoutMs: env.optionalMilliseconds('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', { max: 120_000 }),
  tracesSampler: env.oneOf('OTEL_TRACES_SAMPLER', SAMPLERS, { default: 'parentbased_always_on' }),
  tracesSamplerArg: env.ratio('OTEL_TRACES_SAMPLER_ARG', { default: 1 }),
  /** How a trace's context travels between services: W3C trace context and baggage by default. */
  propagators: noneAlone(
    env.listOf('OTEL_PROPAGATORS', ['tracecontext', 'baggage', 'b3', 'b3multi', 'none'], {
      default: ['tracecontext', 'baggage'],
    }),
  ),
  /** The batch span processor: how long spans wait, how long an export may take, how many wait, per export. */
  bspScheduleDelayMs: env.milliseconds('OTEL_BSP_SCHEDULE_DELAY', { default: 5_000, max: 60_000 }),
  bspExportTimeoutMs: env.milliseconds('OTEL_BSP_EXPORT_TIMEOUT', { default: 30_000, max: 120_000 }),
  bspMaxQueueSize: env.integer('OTEL_BSP_MAX_QUEUE_SIZE', { default: 2048, min: 1, max: 65_536 }),
  bspMaxExportBatchSize: env.integer('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', { default: 512, min: 1, max: 65_536 }),
  /** The SDK's own diagnostics on standard error (`warn` shows failed exports); unset, silent. */
  otelLogLevel: env.optionalOneOf('OTEL_LOG_LEVEL', ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all']),
});

export type TracingSettings = ConfigOf<ReturnType<typeof tracingSettings>>;

/**
 * Whether these settings ask for traces: the SDK not disabled, an exporter other than `none`, and,
 * for OTLP, an endpoint. The SDK would otherwise send to `localhost:4318`, where a pod has no
 * collector: without an endpoint the platform keeps tracing off, and free.
 */
export function tracesRequested(
  settings: Pick<TracingSettings, 'otelSdkDisabled' | 'tracesExporter' | 'otlpEndpoint' | 'otlpTracesEndpoint'>,
): boolean {
  if (settings.otelSdkDisabled || settings.tracesExporter.includes('none')) return false;
  if (settings.tracesExporter.some((exporter) => exporter !== 'otlp')) return true;
  return settings.otlpEndpoint !== undefined || settings.otlpTracesEndpoint !== undefined;
}
