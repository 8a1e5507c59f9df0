import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { HttpClient, UnreachableError } from '../src/index';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('HttpClient against a real server', () => {
  let server: Server;
  let handler: Handler;
  let hits: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[];
  let client: HttpClient;
  let registry: Registry;
  let retries: number;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hits.push({ method: req.method, url: req.url, headers: req.headers, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    hits = [];
    retries = 0;
    registry = new Registry();
    client = new HttpClient({
      peer: 'test-peer',
      baseUrl: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
      timeoutMs: 200,
      backoffMs: 5,
      registry,
      onRetry: () => retries++,
    });
  });
  afterEach(() => client.close());

  const json =
    (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
    (_req, res) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

  it('sends JSON with its headers and parses the JSON answer', async () => {
    handler = json(201, { ok: true });
    const res = await client.call({
      method: 'POST',
      path: '/things?x=1',
      route: '/things',
      body: { a: 1 },
      headers: { 'x-request-id': 'r1' },
      idempotent: false,
    });
    expect(res).toMatchObject({ status: 201, body: { ok: true } });
    expect(hits[0]).toMatchObject({ method: 'POST', url: '/things?x=1', body: '{"a":1}' });
    expect(hits[0]?.headers).toMatchObject({ 'content-type': 'application/json', 'x-request-id': 'r1' });
  });

  it('returns 4xx answers as they are, without retrying', async () => {
    handler = json(404, { type: 'urn:problem-type:not-found' });
    const res = await client.call({ method: 'GET', path: '/users/1', route: '/users/:id', idempotent: true });
    expect(res.status).toBe(404);
    expect(hits).toHaveLength(1);
  });

  it('retries an idempotent call on 503 and returns the answer that finally came', async () => {
    let n = 0;
    handler = (req, res, body) => (++n < 3 ? json(503, {})(req, res, body) : json(200, { n })(req, res, body));
    const res = await client.call({ method: 'GET', path: '/x', route: '/x', idempotent: true });
    expect(res).toMatchObject({ status: 200, body: { n: 3 } });
    expect(retries).toBe(2);
  });

  it('never retries a call that is not idempotent', async () => {
    handler = json(503, {});
    const res = await client.call({ method: 'POST', path: '/x', route: '/x', body: {}, idempotent: false });
    expect(res.status).toBe(503);
    expect(hits).toHaveLength(1);
  });

  it('times out a hung call on every attempt and reports it unreachable, in bounded time', async () => {
    handler = () => undefined; // never answers
    const started = performance.now();
    const error = await client
      .call({ method: 'GET', path: '/slow', route: '/slow', idempotent: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as UnreachableError).attempts).toBe(3);
    expect((error as Error).message).toMatch(/test-peer GET \/slow: no answer within 200 ms/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('reports a refused connection as unreachable', async () => {
    const refused = new HttpClient({
      peer: 'gone',
      baseUrl: new URL('http://127.0.0.1:9'),
      timeoutMs: 500,
      maxAttempts: 2,
      backoffMs: 1,
    });
    await expect(refused.call({ method: 'GET', path: '/', route: '/', idempotent: true })).rejects.toThrow(
      /gone GET \/: connect ECONNREFUSED/,
    );
    refused.close();
  });

  it('times calls by peer, route template and status', async () => {
    handler = json(200, {});
    await client.call({ method: 'GET', path: '/users/abc', route: '/users/:id', idempotent: true });
    const text = await registry.metrics();
    expect(text).toContain(
      'http_client_request_duration_seconds_count{peer="test-peer",method="GET",route="/users/:id",status_code="200"} 1',
    );
  });
});
