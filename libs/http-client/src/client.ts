import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Histogram, type Registry } from 'prom-client';

export interface HttpResponse<T = unknown> {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined for an empty or non-JSON body. */
  readonly body: T;
}

export interface CallOptions {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query, appended to the base URL. */
  readonly path: string;
  /** A template of the path for metrics and logs (`/users/:id`): never the raw path. */
  readonly route: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Whether repeating the call is harmless: reads, and writes that carry an idempotency key.
   * Only such calls are retried.
   */
  readonly idempotent: boolean;
  /** Per-attempt timeout; the client default otherwise. */
  readonly timeoutMs?: number;
  /** Statuses worth retrying for this call; the client default otherwise. */
  readonly retryStatuses?: readonly number[];
}

/** The call did not get an answer: refused, reset, timed out, or still failing after retries. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
  constructor(
    readonly peer: string,
    message: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface HttpClientOptions {
  /** The service called, for metrics and logs (`user-service`). */
  readonly peer: string;
  readonly baseUrl: URL;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  /** Attempts in all for an idempotent call (1 = no retry). */
  readonly maxAttempts?: number;
  /** First backoff; doubled each retry, with full jitter, capped at 1 s. */
  readonly backoffMs?: number;
  /** Statuses worth retrying for an idempotent call. */
  readonly retryStatuses?: readonly number[];
  readonly registry?: Registry;
  /** Told about each failed attempt that will be retried. */
  readonly onRetry?: (details: { peer: string; route: string; attempt: number; reason: string }) => void;
}

const histograms = new WeakMap<Registry, Histogram<'peer' | 'method' | 'route' | 'status_code'>>();

function clientHistogram(registry: Registry) {
  let histogram = histograms.get(registry);
  if (histogram === undefined) {
    histogram = new Histogram({
      name: 'http_client_request_duration_seconds',
      help: 'Duration of outgoing HTTP calls to other services, by peer, method, route template and status code (0 when unanswered).',
      labelNames: ['peer', 'method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    histograms.set(registry, histogram);
  }
  return histogram;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const tracer = () => trace.getTracer('@platform/http-client');

/**
 * A JSON client for calling another service: keep-alive connections, a timeout on every attempt,
 * bounded retries with jittered exponential backoff for idempotent calls only, and a duration
 * histogram per peer. Every attempt is a client span (a child of the request being served) and
 * carries the W3C trace context, so the callee's spans join the caller's trace.
 */
export class HttpClient {
  readonly peer: string;
  readonly #options: Required<Omit<HttpClientOptions, 'registry' | 'onRetry'>> & Pick<HttpClientOptions, 'onRetry'>;
  readonly #agent: Agent;
  readonly #histogram?: Histogram<'peer' | 'method' | 'route' | 'status_code'>;

  constructor(options: HttpClientOptions) {
    this.peer = options.peer;
    this.#options = {
      maxAttempts: 3,
      backoffMs: 50,
      retryStatuses: [502, 503, 504],
      ...options,
    };
    const agentOptions = { keepAlive: true, maxSockets: 64, keepAliveMsecs: 1_000 };
    this.#agent = options.baseUrl.protocol === 'https:' ? new HttpsAgent(agentOptions) : new Agent(agentOptions);
    this.#histogram = options.registry === undefined ? undefined : clientHistogram(options.registry);
  }

  async call<T = unknown>(options: CallOptions): Promise<HttpResponse<T>> {
    const attempts = options.idempotent ? this.#options.maxAttempts : 1;
    let lastReason: string;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.#attempt<T>(options, attempt);
        if (attempt < attempts && (options.retryStatuses ?? this.#options.retryStatuses).includes(response.status)) {
          lastReason = `status ${response.status}`;
        } else {
          return response;
        }
      } catch (error) {
        lastReason = (error as Error).message;
        if (attempt >= attempts) {
          throw new UnreachableError(
            this.peer,
            `${this.peer} ${options.method} ${options.route}: ${lastReason}`,
            attempt,
            { cause: error },
          );
        }
      }
      this.#options.onRetry?.({ peer: this.peer, route: options.route, attempt, reason: lastReason });
      const ceiling = Math.min(1_000, this.#options.backoffMs * 2 ** (attempt - 1));
      await sleep(Math.random() * ceiling);
    }
  }

  /** Closes idle keep-alive connections (on shutdown). */
  close(): void {
    this.#agent.destroy();
  }

  #attempt<T>(options: CallOptions, attempt: number): Promise<HttpResponse<T>> {
    const url = new URL(options.path, this.#options.baseUrl);
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    const started = performance.now();
    const parent = context.active();
    const span = tracer().startSpan(`${options.method} ${options.route}`, { kind: SpanKind.CLIENT }, parent);
    if (span.isRecording()) {
      span.setAttributes({
        'http.request.method': options.method,
        'server.address': url.hostname,
        'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        'url.full': url.href,
        'url.template': options.route,
        'peer.service': this.peer,
        ...(attempt > 1 ? { 'http.request.resend_count': attempt - 1 } : {}),
      });
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(payload === undefined
        ? {}
        : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
      ...options.headers,
    };
    propagation.inject(trace.setSpan(parent, span), headers);
    const finish = (status: number, error?: string) => {
      this.#histogram
        ?.labels({ peer: this.peer, method: options.method, route: options.route, status_code: String(status) })
        .observe((performance.now() - started) / 1000);
      if (span.isRecording()) {
        if (status > 0) span.setAttribute('http.response.status_code', status);
        if (error !== undefined || status >= 500) {
          span.setAttribute('error.type', error ?? String(status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      }
      span.end();
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;

    return new Promise<HttpResponse<T>>((resolve, reject) => {
      const req = send(url, { method: options.method, agent: this.#agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          finish(res.statusCode ?? 0);
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          if (text !== '' && /json/.test(String(res.headers['content-type']))) {
            try {
              body = JSON.parse(text);
            } catch {
              reject(new Error(`invalid JSON in a ${res.statusCode} response`));
              return;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T });
        });
      });
      // One deadline for the whole attempt: connect, send, wait and read.
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        finish(0, error.code ?? 'unanswered');
        reject(error);
      });
      req.end(payload);
    });
  }
}
