import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { currentTracing } from './tracing';

const SERVER_SPAN = Symbol('@platform/tracing.serverSpan');
type TracedRequest = IncomingMessage & { [SERVER_SPAN]?: Span };

const tracer = () => trace.getTracer('@platform/tracing');

export interface TraceRequestsOptions {
  /** Paths that get no span (probes and scrapes, which would otherwise be most of the traces). */
  readonly ignorePath?: (path: string) => boolean;
}

/**
 * Gives every request of `server` a server span (a child of the caller's W3C trace context) and
 * runs all of its handling inside that span's context, the listeners of a request body included
 * (body parsers resume from them). An unsampled request costs a non-recording
 * span: no attributes are computed, but its trace context still travels on to the next service.
 * The framework names the route when it knows it (`recordRoute`); the span ends when the response
 * is closed, with its status code. Does nothing when tracing is off.
 */
export function traceRequests(server: Server, options: TraceRequestsOptions = {}): void {
  if (!currentTracing().enabled) return;
  const original = server.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
  const emit = (target: Server, event: string | symbol, args: unknown[]) => original.apply(target, [event, ...args]);
  server.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'request') return emit(this, event, args);
    const [req, res] = args as [TracedRequest, ServerResponse];
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (options.ignorePath?.(path)) return emit(this, event, args);
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const method = req.method ?? 'GET';
    const span = tracer().startSpan(method, { kind: SpanKind.SERVER }, parent);
    if (span.isRecording()) {
      const host = /^(.*?)(?::(\d+))?$/.exec(req.headers.host ?? '') ?? [];
      span.setAttributes({
        'http.request.method': method,
        'url.path': path,
        'url.scheme': 'http',
        'network.protocol.version': req.httpVersion,
        ...(host[1] ? { 'server.address': host[1] } : {}),
        ...(host[2] ? { 'server.port': Number(host[2]) } : {}),
        ...(req.socket.remoteAddress ? { 'client.address': req.socket.remoteAddress } : {}),
        ...(req.headers['user-agent'] ? { 'user_agent.original': req.headers['user-agent'] } : {}),
      });
    }
    req[SERVER_SPAN] = span;
    // An unsampled span records nothing and its end does nothing: no listener for it.
    if (span.isRecording()) res.once('close', () => endServerSpan(span, res));
    const active = trace.setSpan(parent, span);
    // A body is read from stream events, outside the request's async context: binding the
    // request makes its listeners (the body parser's, and all the handling after it) run inside.
    // Requests without a body are handled synchronously from here and need no binding.
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
      context.bind(active, req);
    }
    return context.with(active, () => emit(this, event, args));
  } as Server['emit'];
}

function endServerSpan(span: Span, res: ServerResponse): void {
  if (res.headersSent) span.setAttribute('http.response.status_code', res.statusCode);
  if (!res.writableFinished) {
    span.setAttribute('error.type', 'aborted');
    span.setStatus({ code: SpanStatusCode.ERROR });
  } else if (res.statusCode >= 500) {
    span.setAttribute('error.type', String(res.statusCode));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/** Names the request's server span after the route template that matched (`GET /users/:id`). */
export function recordRoute(req: IncomingMessage, route: string): void {
  const span = (req as TracedRequest)[SERVER_SPAN];
  if (span === undefined || !span.isRecording()) return;
  span.setAttribute('http.route', route);
  span.updateName(`${req.method ?? 'GET'} ${route}`);
}

/** The trace id of the request's server span when it is sampled (for exemplars), else undefined. */
export function sampledTraceId(req: IncomingMessage): string | undefined {
  const span = (req as TracedRequest)[SERVER_SPAN];
  return span?.isRecording() ? span.spanContext().traceId : undefined;
}
