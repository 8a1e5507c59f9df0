// the SDK is loaded only when tracing is on, so a service with tracing off pays nothing for it.
import type { Instrumentation } from '@opentelemetry/instrumentation';

export type Framework = 'express' | 'nest' | 'fastify';

export interface TracingOptions {
  readonly serviceName: string;
  /** `SERVICE_VERSION` from the environment (the image tag in the cluster) by default. */
  readonly serviceVersion?: string;
  /** The framework whose own instrumentation joins the HTTP one (route names, handler spans). */
  readonly framework: Framework;
  /** The environment to read `OTEL_*` from; `process.env` by default. */
  readonly env?: NodeJS.ProcessEnv;
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
 * Express: spans for route handlers (and the route on the server span), not for every middleware
 * and router layer, which cost a span each per request and say little.
 */
const HANDLERS_ONLY = { ignoreLayersType: ['middleware', 'router'] };

function frameworkInstrumentations(framework: Framework): Instrumentation[] {
  switch (framework) {
    case 'express': {
      const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
      return [new ExpressInstrumentation(HANDLERS_ONLY)];
    }
    case 'nest': {
      const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
      const { NestInstrumentation } = require('@opentelemetry/instrumentation-nestjs-core');
      return [new ExpressInstrumentation(HANDLERS_ONLY), new NestInstrumentation()];
    }
    case 'fastify': {
      const { FastifyOtelInstrumentation } = require('@fastify/otel');
      return [new FastifyOtelInstrumentation({ registerOnInitialization: true })];
    }
  }
}

/** Whether the environment asks for traces to be exported. */
export const tracingRequested = (env: NodeJS.ProcessEnv): boolean =>
  env['OTEL_SDK_DISABLED'] !== 'true' &&
  (Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT']) || Boolean(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']));

/**
 * Starts OpenTelemetry for this process. Call it before the framework is loaded (the service's
 * `instrument.ts`, run with `node -r`), so the HTTP and framework modules get patched.
 *
 * Tracing is on only when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`): then
 * spans go over OTLP/HTTP through a batch processor whose bounded queue drops spans rather than
 * hoarding them when the collector is down, W3C trace context is propagated on outgoing calls,
 * and the sampler follows `OTEL_TRACES_SAMPLER` (parent-based, always on, by default). Without an
 * endpoint nothing is loaded and the cost is zero. Metrics stay with Prometheus; logs stay on
 * stdout (they carry `trace_id`), so neither is exported over OTLP.
 */
export function startTracing(options: TracingOptions): Tracing {
  const holder = globalThis as GlobalWithTracing;
  const existing = holder[HANDLE];
  if (existing !== undefined) return existing;
  const env = options.env ?? process.env;
  if (!tracingRequested(env)) {
    holder[HANDLE] = disabled;
    return disabled;
  }

  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { HttpInstrumentation } =
    require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');

  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': options.serviceVersion ?? env['SERVICE_VERSION'] ?? 'dev',
    }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ timeoutMillis: 5000 }), {
        maxQueueSize: 2048,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 1000,
        exportTimeoutMillis: 5000,
      }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes would otherwise be most of the traces.
        ignoreIncomingRequestHook: (request) => {
          const url = request.url ?? '';
          return url.startsWith('/health/') || url === '/metrics';
        },
      }),
      ...frameworkInstrumentations(options.framework),
    ],
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

/** The tracing started in this process (by the service's instrument entry), or a disabled one. */
export const currentTracing = (): Tracing => (globalThis as GlobalWithTracing)[HANDLE] ?? disabled;
