import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchRoute, type RouteTable } from './routes';

/** A path the local edge answers itself, never routed in production (the local issuer's `/auth`, the API reference's `/docs`). */
export interface LocalRoute {
  /** A path prefix, matched as the route table's are. */
  readonly path: string;
  /** Answers a request; `path` is the rest below the prefix (`/jwks.json`). */
  handle(req: IncomingMessage, res: ServerResponse, path: string): void;
}

export interface EdgeOptions {
  readonly table: RouteTable;
  readonly local?: readonly LocalRoute[];
  /** Where each service listens locally, by service name. */
  readonly upstreams: Readonly<Record<string, URL>>;
  readonly port: number;
  readonly host?: string;
}

export interface Edge {
  readonly url: string;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * The local stand-in for the production ALB: routes by path prefix from the shared route table,
 * forwards the path unchanged, answers `GET /health` itself, and answers anything else with the
 * same 404 as the ALB's default action.
 */
export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const fixed = (res: ServerResponse, response: { status: number; contentType: string; body: string }) =>
    res
      .writeHead(response.status, { 'content-type': response.contentType, 'cache-control': 'no-store' })
      .end(response.body);

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const { table } = options;
    if (path === table.edgeHealth.path) {
      fixed(res, table.edgeHealth);
      return;
    }
    const local = options.local?.find((l) => path === l.path || path.startsWith(`${l.path}/`));
    if (local !== undefined) {
      local.handle(req, res, path.slice(local.path.length) || '/');
      return;
    }
    const route = matchRoute(table.routes, path);
    const upstream = route && options.upstreams[route.service];
    if (upstream === undefined) {
      req.resume();
      fixed(res, table.notFound);
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    const forwardedFor = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = [forwardedFor, req.socket.remoteAddress].filter(Boolean).join(', ');
    headers['x-forwarded-proto'] = 'http';
    headers['host'] = upstream.host;
    const proxied = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      (upstreamRes) => {
        const responseHeaders: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(upstreamRes.headers))
          if (value !== undefined && !HOP_BY_HOP.has(name)) responseHeaders[name] = value;
        res.writeHead(upstreamRes.statusCode ?? 502, responseHeaders);
        upstreamRes.pipe(res);
      },
    );
    proxied.on('error', () => {
      if (!res.headersSent) {
        fixed(res, {
          status: 502,
          contentType: 'application/problem+json',
          body: JSON.stringify({
            type: 'urn:problem-type:bad-gateway',
            title: 'Bad gateway',
            status: 502,
            detail: `${route?.service} did not answer.`,
          }),
        });
      } else res.destroy();
    });
    req.pipe(proxied);
  };

  const server: Server = createServer(handle);
  // Idle connections outlive every client's own keep-alive, as the services' do.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${options.port} is already in use; EDGE_PORT=<another port> moves the edge`, {
              cause: error,
            })
          : error,
      ),
    );
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
