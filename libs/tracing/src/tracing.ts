import { context, propagation, trace } from '@opentelemetry/api';

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

export interface TracingOptions {
  readonly serviceName: string;
  readonly serviceVersion: string;
  /** Where spans go (OTLP/HTTP, JSON); tracing is off without it. */
  readonly tracesEndpoint?: URL;
  readonly sampler?: SamplerName;
  /** The ratio of the `*traceidratio` samplers, 0 to 1. */
  readonly samplerArg?: number;
  /** Extra resource attributes (`OTEL_RESOURCE_ATTRIBUTES`): the pod, the namespace, the track. */
  readonly resourceAttributes?: Readonly<Record<string, string>>;
  /** How long spans wait in the batch before export. */
  readonly scheduledDelayMs?: number;
}

export interface Tracing {
  readonly enabled: boolean;
  /** Flushes pending spans and stops exporting. Safe to call more than once. */
  shutdown(): Promise<void>;
}

const HANDLE = Symbol.for('@platform/tracing');
type GlobalWithTracing = typeof globalThis & { [HANDLE]?: Tracing };

const disabled: Tracing = Object.freeze({ enabled: false, shutdown: () => Promise.resolve() });

/**
 * Starts tracing for this process: a tracer provider with a batch processor exporting OTLP/HTTP,
 * the sampler asked for, W3C trace context, and context kept across async work by
 * AsyncLocalStorage. Nothing is patched: the platform makes its spans itself (incoming requests
 * in `traceRequests`, calls to other services in `@platform/http-client`, queries of sampled
 * requests in `@platform/persistence`), so it may start at any point before the server listens,
 * and without an endpoint the SDK is not even loaded.
 */
export function startTracing(options: TracingOptions): Tracing {
  const holder = globalThis as GlobalWithTracing;
  const existing = holder[HANDLE];
  if (existing !== undefined) return existing;
  if (options.tracesEndpoint === undefined) {
    holder[HANDLE] = disabled;
    return disabled;
  }

  // Loaded here, so that a process with tracing off never pays for the SDK.
  const sdk = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { AsyncLocalStorageContextManager } =
    require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');

  const provider = new sdk.BasicTracerProvider({
    resource: resourceFromAttributes({
      ...options.resourceAttributes,
      'service.name': options.serviceName,
      'service.version': options.serviceVersion,
    }),
    sampler: samplerFor(sdk, options.sampler ?? 'parentbased_always_on', options.samplerArg ?? 1),
    spanProcessors: [
      // A bounded queue: when the collector is down spans are dropped, never hoarded (1,024 spans
      // of a few hundred bytes each, within the pods' memory budget).
      new sdk.BatchSpanProcessor(
        new OTLPTraceExporter({ url: options.tracesEndpoint.href, timeoutMillis: 5000, concurrencyLimit: 2 }),
        {
          maxQueueSize: 1024,
          maxExportBatchSize: 256,
          scheduledDelayMillis: options.scheduledDelayMs ?? 1000,
          exportTimeoutMillis: 5000,
        },
      ),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);

  let stopping: Promise<void> | undefined;
  const tracing: Tracing = {
    enabled: true,
    shutdown: () => (stopping ??= provider.shutdown().catch(() => undefined)),
  };
  holder[HANDLE] = tracing;
  return tracing;
}

function samplerFor(sdk: typeof import('@opentelemetry/sdk-trace-base'), name: SamplerName, ratio: number) {
  switch (name) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio) });
  }
}

/** The tracing started in this process, or a disabled one. */
export const currentTracing = (): Tracing => (globalThis as GlobalWithTracing)[HANDLE] ?? disabled;
