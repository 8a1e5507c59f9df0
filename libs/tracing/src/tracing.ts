import type { NodeSDK } from '@opentelemetry/sdk-node';

export interface TracingOptions {
  /** `service.name`, unless `OTEL_SERVICE_NAME` says otherwise. */
  readonly serviceName: string;
  /** `service.version`: the image tag in the cluster. */
  readonly serviceVersion: string;
  /** Whether to trace at all (`tracesRequested` of the validated settings); off, the SDK is not even loaded. */
  readonly enabled: boolean;
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
 * Starts the OpenTelemetry Node SDK (`NodeSDK`) for this process, once. The SDK configures itself
 * from the standard `OTEL_*` variables (exporter and protocol, endpoint, headers, timeout,
 * sampler, propagators, batch processor, resource), which `tracingSettings` has validated; the
 * platform adds only the service's name and version to the resource, and turns the SDK's metrics
 * and logs off (metrics are prom-client's, logs pino's, correlated by trace id).
 *
 * No instrumentation is registered: the platform makes its spans itself (incoming requests in
 * `traceRequests`, calls to other services in `@platform/http-client`, queries of sampled
 * requests in `@platform/persistence`), at about a third of the per-request cost of the `http`
 * and `pg` instrumentations (docs/platform.md). So nothing is patched, and starting the SDK first
 * thing in `createRuntime`, before the app is built, is all the SDK's "start before your
 * application" asks; an instrumentation added later would need `node --import` instead.
 */
export function startTracing(options: TracingOptions): Tracing {
  const holder = globalThis as GlobalWithTracing;
  const existing = holder[HANDLE];
  if (existing !== undefined) return existing;
  if (!options.enabled) {
    holder[HANDLE] = disabled;
    return disabled;
  }

  // Loaded here, so that a process with tracing off never pays for the SDK.
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { defaultResource, resourceFromAttributes } =
    require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const sdk: NodeSDK = new NodeSDK({
    // The lowest layer: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the SDK's env detector) win.
    resource: defaultResource().merge(
      resourceFromAttributes({ 'service.name': options.serviceName, 'service.version': options.serviceVersion }),
    ),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();

  let stopping: Promise<void> | undefined;
  const tracing: Tracing = {
    enabled: true,
    shutdown: () => (stopping ??= sdk.shutdown().catch(() => undefined)),
  };
  holder[HANDLE] = tracing;
  return tracing;
}

/** The tracing started in this process, or a disabled one. */
export const currentTracing = (): Tracing => (globalThis as GlobalWithTracing)[HANDLE] ?? disabled;
