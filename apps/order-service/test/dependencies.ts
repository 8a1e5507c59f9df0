// The services order-service calls, for its tests: the real user-service and payment-service,
// built from source and run as node processes on the embedded database, plus a real HTTP proxy in
// front of payment-service that can misbehave on demand.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestIssuer } from '@platform/auth/testing';
import {
  bundleForNode,
  freePort,
  type RunningProcess,
  startNode,
  testBundlePath,
  listenOnLoopback,
  waitForHttp,
  WORKSPACE_ROOT,
} from '@platform/testing';

export interface RunningService {
  readonly url: string;
  readonly process: RunningProcess;
}

async function startService(
  name: 'user-service' | 'payment-service',
  env: Record<string, string> = {},
): Promise<RunningService> {
  const source = join(WORKSPACE_ROOT, 'apps', name, 'src');
  const main = await bundleForNode(join(source, 'main.ts'), testBundlePath(`${name}/main.js`), {
    migrations: join(source, 'migrations'),
  });
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `${name}-`));
  const child = startNode([main], {
    env: {
      PATH: process.env['PATH'],
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  void child.exited.then(() => rmSync(dataDir, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health/ready`, { process: child });
  return { url, process: child };
}

/** user-service as a process, trusting `issuer` (its people, and order-service's workload tokens). */
export const startUserService = (issuer: TestIssuer) => startService('user-service', issuer.environment());
export const startPaymentService = (issuer: TestIssuer) =>
  startService('payment-service', { ...issuer.environment(), PROVIDER_TIMEOUT_MS: '3000' });

export type ProxyMode =
  /** Forward everything. */
  | 'pass'
  /** Forward, then drop the client's connection instead of answering: the charge happened, the answer is lost. */
  | 'drop-after-forward'
  /** Answer 503 without forwarding. */
  | 'unavailable'
  /** Never answer. */
  | 'hang';

/** A real HTTP proxy whose behaviour for writes (POST) the test sets; reads always pass. */
export class FlakyProxy {
  mode: ProxyMode = 'pass';
  /** How many more POSTs get `mode` before it returns to `pass`; Infinity by default. */
  remaining = Infinity;
  /** POSTs that reached the upstream. */
  forwardedWrites = 0;
  /** The headers of the last request received. */
  lastHeaders: IncomingMessage['headers'] = {};
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(upstream: string): Promise<FlakyProxy> {
    const target = new URL(upstream);
    const server = createServer();
    const proxy = new FlakyProxy(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => proxy.#handle(req, res, target));
    await listenOnLoopback(server);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  set(mode: ProxyMode, times = Infinity): void {
    this.mode = mode;
    this.remaining = times;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse, target: URL): void {
    this.lastHeaders = req.headers;
    let mode: ProxyMode = 'pass';
    if (req.method === 'POST' && this.remaining > 0) {
      mode = this.mode;
      this.remaining--;
      if (this.remaining === 0) this.mode = 'pass';
    }
    if (mode === 'hang') return;
    if (mode === 'unavailable') {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/problem+json' }).end('{"status":503}');
      return;
    }
    if (req.method === 'POST') this.forwardedWrites++;
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (upstreamRes) => {
        if (mode === 'drop-after-forward') {
          upstreamRes.resume();
          upstreamRes.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  }
}

/** A user-service stand-in that accepts connections and never answers. */
export async function hangingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(() => undefined);
  await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
