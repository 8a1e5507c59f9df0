import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { problems, ProblemError, renderProblem } from '@platform/errors';
import { HealthRegistry } from '@platform/health';
import { createLogger, type LogFormat, type Logger, type LoggerConfig, type LogLevel } from '@platform/logging';
import {
  createHttpMetrics,
  createMetricsRegistry,
  createTaskMetrics,
  type HttpMetrics,
  METRICS_PATH,
  type Registry,
  scrape,
  type TaskMetrics,
} from '@platform/metrics';
import { currentTracing, startTracing, traceRequests, tracesRequested, type TracingSettings } from '@platform/tracing';

/** When a background task first runs after start: soon, whatever its interval. */
const FIRST_RUN_DELAY_MS = 1_000;
export interface RuntimeOptions {
  readonly service: string;
  readonly version: string;
  readonly logLevel?: LogLevel;
  readonly logFormat?: LogFormat;
  /** Where log lines go; stdout by default (tests pass a stream). */
  readonly logDestination?: LoggerConfig['destination'];
  readonly drainTimeoutMs?: number;
  readonly shutdownDelayMs?: number;
  /** How long each close hook may take during shutdown. */
  readonly closeTimeoutMs?: number;
  /** Node.js process metrics in `/metrics`; on by default. */
  readonly processMetrics?: boolean;
  /** The per-request log line and HTTP metrics; on by default. */
  readonly requestTelemetry?: boolean;
  /** How long idle keep-alive connections stay open; 65 s by default (above an ALB's 60 s). */
  readonly keepAliveTimeoutMs?: number;
  /**
   * A port of its own for `GET /metrics` (the chart sets it), so a NetworkPolicy can let the
   * scraper reach the metrics and nothing else; unset, `/metrics` is served on the API port only.
   */
  readonly metricsPort?: number;
  /**
   * The OpenTelemetry settings (`tracingSettings`, in `platformSettings`): the Node SDK reads the
   * variables itself; these say whether it starts at all, and under which service name.
   */
  readonly otelSdkDisabled?: boolean;
  readonly otelServiceName?: string;
  readonly tracesExporter?: TracingSettings['tracesExporter'];
  readonly otlpEndpoint?: URL;
  readonly otlpTracesEndpoint?: URL;
}

/**
 * The request line and headers together may take this much: room for an 8 KiB token beside the
 * longest query the APIs accept (Node's own default is 16 KiB).
 */
export const MAX_HEADER_BYTES = 32 * 1024;

/**
 * What the client hears of a request Node's parser refused before any framework saw it (an
 * unknown method, a malformed request line, headers over the limit): problem details with a
 * request id, as every other answer, then the connection closes.
 */
function refuseUnparsable(error: NodeJS.ErrnoException, socket: Socket, log: (fields: object) => void): void {
  const response = (socket as { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent === true) {
    socket.destroy();
    return;
  }
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new ProblemError(problems.headersTooLarge, `The request line and headers are over ${MAX_HEADER_BYTES} bytes.`)
      : new ProblemError(problems.badRequest, 'The request could not be parsed as HTTP/1.1.');
  const requestId = randomUUID();
  const { status, headers, body } = renderProblem(problem, undefined, requestId);
  const text = JSON.stringify(body);
  log({ request_id: requestId, status_code: status, code: error.code });
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
      ...Object.entries({ ...headers, 'x-request-id': requestId, 'content-length': Buffer.byteLength(text) }).map(
        ([name, value]) => `${name}: ${value}`,
      ),
      'connection: close',
      '',
      text,
    ].join('\r\n'),
  );
}

/** Probes and scrapes: no span, no trace. */
const UNTRACED_PATHS = new Set(['/health/live', '/health/ready', '/health/startup', '/metrics']);

interface CloseHook {
  readonly name: string;
  readonly close: () => Promise<unknown> | unknown;
}

/** How long a keep-alive connection may stay idle once draining has begun. */
const IDLE_DURING_DRAIN_MS = 1_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Something a background task healed: `repair` names what (a small fixed set), `message` says it. */
/**
 * Work a service does in the background, every `intervalMs`: healing, purging, reconciling. A
 * service's composition returns its jobs; `ServiceRuntime.runJobs` starts them all the same way.
 */
export interface BackgroundJob {
  readonly name: string;
  readonly intervalMs: number;
  /** One run; `report` logs and counts each repair it makes. Replicas may run it at once: it must be safe to. */
  run(report: (repair: Repair) => void): Promise<unknown>;
}

export interface Repair {
  readonly repair: string;
  readonly message: string;
  /** More fields for the log line (ids, never secrets). */
  readonly [field: string]: unknown;
}

/**
 * What every service process has exactly once: its logger, health registry, metrics and the
 * lifecycle that starts and stops it. Framework adapters (`/express`, `/fastify`, `/nest`) plug
 * it into an app; the lifecycle itself only knows `node:http` servers.
 *
 * Shutdown (SIGTERM, SIGINT or `shutdown()`): readiness fails at once; after `shutdownDelayMs`
 * the listeners stop accepting; requests in flight finish (their keep-alive connections are told
 * to close) until `drainTimeoutMs`, when what is left is cut; then close hooks run in reverse
 * order of registration (database pools…), telemetry flushes, and the exit code is 0.
 */
export class ServiceRuntime {
  readonly service: string;
  readonly version: string;
  readonly logger: Logger;
  readonly health: HealthRegistry;
  readonly metrics: Registry;
  readonly httpMetrics: HttpMetrics;
  readonly requestTelemetry: boolean;
  readonly #servers = new Set<Server>();
  /** Responses under way, so that draining can tell their keep-alive connections to close. */
  readonly #inFlight = new Set<ServerResponse>();
  readonly #closeHooks: CloseHook[] = [];
  readonly #drainTimeoutMs: number;
  readonly #shutdownDelayMs: number;
  readonly #closeTimeoutMs: number;
  readonly #keepAliveTimeoutMs: number;
  readonly #metricsPort?: number;
  #metricsServer?: Server;
  #draining = false;
  #taskMetrics?: TaskMetrics;
  #shutdown?: Promise<number>;

  constructor(options: RuntimeOptions) {
    // The SDK first, before anything of the service is built (see startTracing).
    startTracing({
      serviceName: options.otelServiceName ?? options.service,
      serviceVersion: options.version,
      enabled: tracesRequested({
        otelSdkDisabled: options.otelSdkDisabled ?? false,
        tracesExporter: options.tracesExporter ?? ['otlp'],
        otlpEndpoint: options.otlpEndpoint,
        otlpTracesEndpoint: options.otlpTracesEndpoint,
      }),
    });
    this.service = options.service;
    this.version = options.version;
    this.logger = createLogger({
      service: options.service,
      version: options.version,
      level: options.logLevel,
      format: options.logFormat,
      destination: options.logDestination,
    });
    this.health = new HealthRegistry({
      onCheckFailed: (check, error) => this.logger.warn({ check, err: error }, 'readiness check failed'),
    });
    this.metrics = createMetricsRegistry({ defaultMetrics: options.processMetrics });
    this.httpMetrics = createHttpMetrics(this.metrics);
    this.requestTelemetry = options.requestTelemetry ?? true;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.#shutdownDelayMs = options.shutdownDelayMs ?? 0;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    this.#keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 65_000;
    this.#metricsPort = options.metricsPort;
  }

  /** Where the first listener listens (after `listen`). */
  get address(): AddressInfo | undefined {
    const [server] = this.#servers;
    return server?.address() as AddressInfo | undefined;
  }

  /** True from the moment shutdown begins. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Registers a resource to close on shutdown; hooks run in reverse order of registration. */
  onClose(name: string, close: () => Promise<unknown> | unknown): this {
    this.#closeHooks.push({ name, close });
    return this;
  }

  /** Starts each of a service's background jobs (see `every`). */
  runJobs(jobs: readonly BackgroundJob[]): this {
    for (const job of jobs) this.every(job.name, job.intervalMs, (report) => job.run(report));
    return this;
  }

  /**
   * Runs `task` in the background every `intervalMs` (the first run within a second of start), never two
   * runs at once. Each repair the task reports is logged at warn and counted as it happens; a
   * failed run is logged at warn and counted, and the next one goes ahead. It stops on shutdown,
   * waiting for a run under way, before the resources registered earlier (the database) close.
   */
  every(name: string, intervalMs: number, task: (report: (repair: Repair) => void) => Promise<unknown>): this {
    this.#taskMetrics ??= createTaskMetrics(this.metrics);
    const metrics = this.#taskMetrics;
    const report = ({ repair, message, ...fields }: Repair) => {
      metrics.repaired(name, repair);
      this.logger.warn({ task: name, repair, ...fields }, message);
    };
    let running: Promise<void> | undefined;
    const run = async () => {
      try {
        await task(report);
        metrics.ran(name, true);
      } catch (error) {
        metrics.ran(name, false);
        this.logger.warn({ task: name, err: error }, `${name} failed; it runs again in ${intervalMs} ms`);
      }
    };
    const tick = () => {
      running ??= run().finally(() => {
        running = undefined;
      });
    };
    // The first run comes soon after start (a restart in a crash loop must not put repairs off),
    // then one every interval.
    let timer = setTimeout(
      () => {
        tick();
        timer = setInterval(tick, intervalMs).unref();
      },
      Math.min(intervalMs, FIRST_RUN_DELAY_MS),
    ).unref();
    return this.onClose(name, async () => {
      clearTimeout(timer);
      clearInterval(timer);
      await running;
    });
  }

  /**
   * Starts `server` listening and marks the service started. Responses sent while draining carry
   * `Connection: close`, so keep-alive clients move to another replica instead of reusing a
   * connection that is about to go.
   */
  async listen(server: Server, port: number, host = '0.0.0.0'): Promise<AddressInfo> {
    server.keepAliveTimeout = this.#keepAliveTimeoutMs;
    // Read by Node for each new connection's parser.
    (server as { maxHeaderSize?: number }).maxHeaderSize = MAX_HEADER_BYTES;
    // One answer in every framework (Fastify adds a handler of its own): the platform's.
    server.removeAllListeners('clientError');
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
      refuseUnparsable(error, socket, (fields) => this.logger.info(fields, 'request refused by the HTTP parser')),
    );
    // Headers must be allowed to take longer than an idle connection may stay open.
    server.headersTimeout = Math.max(server.headersTimeout, this.#keepAliveTimeoutMs + 1_000);
    traceRequests(server, { ignorePath: (path) => UNTRACED_PATHS.has(path) });
    server.prependListener('request', (_req, res) => {
      if (this.#draining) {
        res.setHeader('connection', 'close');
        return;
      }
      this.#inFlight.add(res);
      res.once('close', () => this.#inFlight.delete(res));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#servers.add(server);
    if (this.#metricsPort !== undefined && this.#metricsServer === undefined)
      await this.#serveMetrics(this.#metricsPort, host);
    this.health.markStarted();
    const address = server.address() as AddressInfo;
    this.logger.info({ address: address.address, port: address.port }, `${this.service} listening`);
    return address;
  }

  /** Where `/metrics` is served on a port of its own (after `listen`, when `metricsPort` is set). */
  get metricsAddress(): AddressInfo | undefined {
    return this.#metricsServer?.address() as AddressInfo | undefined;
  }

  /**
   * `GET /metrics` and nothing else, on a port of its own. It keeps answering while the service
   * drains (the last scrapes see the shutdown) and closes with the other resources.
   */
  async #serveMetrics(port: number, host: string): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== METRICS_PATH || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served on this port.\n');
        return;
      }
      scrape(this.metrics, req.headers.accept).then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (error: unknown) => {
          this.logger.error({ err: error }, 'rendering the metrics failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end();
        },
      );
    });
    server.keepAliveTimeout = this.#keepAliveTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#metricsServer = server;
    this.onClose('metrics listener', () => new Promise<void>((resolve) => server.close(() => resolve())));
  }

  /** Runs shutdown on SIGTERM and SIGINT, then exits with its code. */
  handleSignals(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: NodeJS.Signals) => {
      void this.shutdown(signal).then(exit);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  /** Stops the service gracefully; resolves with the exit code. Idempotent. */
  shutdown(reason = 'requested'): Promise<number> {
    this.#shutdown ??= this.#runShutdown(reason);
    return this.#shutdown;
  }

  async #runShutdown(reason: string): Promise<number> {
    const started = performance.now();
    this.#draining = true;
    this.health.markShuttingDown();
    this.logger.info({ reason, drain_timeout_ms: this.#drainTimeoutMs }, 'shutdown started');
    if (this.#shutdownDelayMs > 0) await sleep(this.#shutdownDelayMs);

    let failures = 0;
    const cut = await this.#drain();
    if (cut > 0) this.logger.warn({ connections: cut }, 'drain timeout reached: remaining connections were closed');

    for (const hook of [...this.#closeHooks].reverse()) {
      try {
        await withTimeout(Promise.resolve().then(hook.close), this.#closeTimeoutMs);
      } catch (error) {
        failures++;
        this.logger.error({ err: error, resource: hook.name }, 'closing a resource failed');
      }
    }
    await currentTracing().shutdown();
    this.logger.info({ duration_ms: Math.round(performance.now() - started) }, 'shutdown complete');
    await new Promise<void>((resolve) => this.logger.flush(() => resolve()));
    return failures === 0 ? 0 : 1;
  }

  /** Closes every listener and waits for in-flight requests; returns how many connections had to be cut. */
  async #drain(): Promise<number> {
    const servers = [...this.#servers];
    for (const res of this.#inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    const closed = servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          // Stop listening, but do not cut idle keep-alive connections as http.Server#close does:
          // a client may have just sent a request on one (or just connected), and cutting it would
          // reset a request the service would have served. Every response now says
          // `Connection: close`, and a connection left idle ends after a short keep-alive timeout.
          net.Server.prototype.close.call(server, () => resolve());
          server.keepAliveTimeout = Math.min(server.keepAliveTimeout, IDLE_DURING_DRAIN_MS);
        }),
    );
    // Connections idle since before the drain (their timers still run on the old keep-alive
    // timeout) are closed once they have been quiet for a while.
    const sweeper = setInterval(() => servers.forEach((server) => server.closeIdleConnections()), IDLE_DURING_DRAIN_MS);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#drainTimeoutMs);
    });
    const outcome = await Promise.race([Promise.all(closed).then(() => 'drained' as const), timedOut]);
    clearTimeout(timer);
    clearInterval(sweeper);
    if (outcome === 'drained') return 0;
    let cut = 0;
    for (const server of servers) {
      cut += await new Promise<number>((resolve) => server.getConnections((_e, count) => resolve(count ?? 0)));
      server.closeAllConnections();
    }
    await Promise.all(closed);
    return cut;
  }
}

export const createRuntime = (options: RuntimeOptions): ServiceRuntime => new ServiceRuntime(options);
