// A small traced service for the tracing tests: a node:http server whose handler reads its body
// from stream events (as body parsers do), logs, names its route and calls an upstream service
// with the platform's HTTP client. No framework: the platform's spans come from its own hooks.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { HttpClient } from '@platform/http-client';
import { createLogger } from '@platform/logging';
import { recordRoute, traceRequests } from '../src/index';

/** The headers a trace context travels in: W3C trace context and baggage, B3 single and multi. */
const PROPAGATION_HEADERS = [
  'traceparent',
  'tracestate',
  'baggage',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-sampled',
];

export interface TracedServer {
  readonly url: string;
  /** The headers of every request the upstream received. */
  readonly upstreamHeaders: IncomingHttpHeaders[];
  readonly logs: Record<string, unknown>[];
  close(): Promise<void>;
}

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

export async function startTracedServer(): Promise<TracedServer> {
  const upstreamHeaders: IncomingHttpHeaders[] = [];
  const upstream = createServer((req, res) => {
    upstreamHeaders.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  const client = new HttpClient({ peer: 'upstream', baseUrl: new URL(await listen(upstream)), timeoutMs: 2_000 });
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'traced-fixture',
    version: '9.9.9',
    destination: new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
        done();
      },
    }),
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // Runs from a stream event, as the rest of a request does after a body parser.
      const name = decodeURIComponent((req.url ?? '').split('/')[2] ?? '');
      recordRoute(req, '/hello/:name');
      logger.info({ name }, 'saying hello');
      void client
        .call({ method: 'GET', path: '/downstream', route: '/downstream', idempotent: true })
        .then(({ status }) => {
          // What the trace context looked like on the way out, whichever propagator wrote it.
          const sent = upstreamHeaders.at(-1) ?? {};
          const propagated = Object.fromEntries(PROPAGATION_HEADERS.flatMap((h) => (sent[h] ? [[h, sent[h]]] : [])));
          res.writeHead(status === 200 ? 200 : 502).end(JSON.stringify({ hello: name, propagated }));
        });
    });
  });
  traceRequests(server, { ignorePath: (path) => path === '/health' });
  const url = await listen(server);
  return {
    url,
    upstreamHeaders,
    logs,
    close: async () => {
      client.close();
      for (const s of [server, upstream]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}
