import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertPortsFree, type Edge, loadRoutes, matchRoute, startEdge } from '../src/index';
import { mergeDocuments } from '../src/api-reference';

describe('the route table', () => {
  const table = loadRoutes();

  it('routes the three services by path prefix, element-wise like the ALB', () => {
    const service = (path: string) => matchRoute(table.routes, path)?.service;
    expect(service('/users')).toBe('user-service');
    expect(service('/users/42')).toBe('user-service');
    expect(service('/orders/1/pay')).toBe('order-service');
    expect(service('/payments')).toBe('payment-service');
    expect(service('/usersX')).toBeUndefined();
    expect(service('/')).toBeUndefined();
    expect(service('/health/ready')).toBeUndefined();
  });
});

describe('the local edge', () => {
  const seen: { service: string; url?: string; headers: IncomingMessage['headers'] }[] = [];
  const upstreams: Server[] = [];
  let edge: Edge;

  beforeAll(async () => {
    const table = loadRoutes();
    const urls: Record<string, URL> = {};
    for (const route of table.routes) {
      const server = createServer((req, res) => {
        seen.push({ service: route.service, url: req.url, headers: req.headers });
        res
          .writeHead(201, { 'content-type': 'application/json', 'x-from': route.service })
          .end(JSON.stringify({ service: route.service }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      upstreams.push(server);
      urls[route.service] = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    edge = await startEdge({ table, upstreams: urls, port: 0 });
  });
  afterAll(async () => {
    await edge.close();
    await Promise.all(upstreams.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('on a port already taken, says which variable moves it', async () => {
    const port = Number(new URL(edge.url).port);
    await expect(startEdge({ table: loadRoutes(), upstreams: {}, port })).rejects.toThrow(
      `port ${port} is already in use; EDGE_PORT=<another port> moves the edge`,
    );
  });

  it('forwards the path and query unchanged to the service that owns the prefix, with its answer', async () => {
    const res = await fetch(`${edge.url}/orders/abc/pay?x=1`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', 'x-request-id': 'r1' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-from')).toBe('order-service');
    expect(seen.at(-1)).toMatchObject({ service: 'order-service', url: '/orders/abc/pay?x=1' });
    expect(seen.at(-1)?.headers).toMatchObject({
      'x-request-id': 'r1',
      'x-forwarded-proto': 'http',
      'x-forwarded-for': expect.stringContaining('127.0.0.1'),
    });
    expect((await fetch(`${edge.url}/users`)).headers.get('x-from')).toBe('user-service');
    expect((await fetch(`${edge.url}/payments/1`)).headers.get('x-from')).toBe('payment-service');
  });

  it('answers GET /health itself with 200', async () => {
    const before = seen.length;
    const res = await fetch(`${edge.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(seen.length).toBe(before);
  });

  it("answers everything else with a 404 problem, including the services' own internal paths", async () => {
    for (const path of ['/', '/usersX', '/health/ready', '/metrics', '/admin']) {
      const res = await fetch(`${edge.url}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ type: 'urn:problem-type:route-not-found', status: 404 });
    }
  });
});

describe('the API reference’s merged document', () => {
  const doc = (paths: Record<string, unknown>, schemas: Record<string, unknown> = {}) => ({
    openapi: '3.1.0',
    info: { title: 't', version: '1.0.0' },
    tags: [{ name: 'things' }],
    paths,
    components: { schemas },
  });

  it('holds every path and tag of every service, and each shared component once', () => {
    const merged = mergeDocuments([
      { service: 'a-service', document: doc({ '/a': { get: {} } }, { Problem: { type: 'object' } }) },
      { service: 'b-service', document: doc({ '/b': { get: {} } }, { Problem: { type: 'object' } }) },
    ]);
    expect(Object.keys(merged.paths ?? {})).toEqual(['/a', '/b']);
    expect(merged.components).toEqual({ schemas: { Problem: { type: 'object' } } });
    expect(merged.tags?.map((t) => t.description)).toEqual([
      'Served by a-service 1.0.0.',
      'Served by b-service 1.0.0.',
    ]);
  });

  it('refuses a path in two services, or a component that differs between them, rather than hide one', () => {
    expect(() =>
      mergeDocuments([
        { service: 'a-service', document: doc({ '/a': {} }) },
        { service: 'b-service', document: doc({ '/a': {} }) },
      ]),
    ).toThrow('/a is in two services');
    expect(() =>
      mergeDocuments([
        { service: 'a-service', document: doc({}, { Problem: { type: 'object' } }) },
        { service: 'b-service', document: doc({}, { Problem: { type: 'string' } }) },
      ]),
    ).toThrow('components.schemas.Problem differs');
  });
});

describe('a service port something else holds', () => {
  it('is refused before anything starts, naming the service, the port and where it comes from', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      await expect(assertPortsFree({ 'user-service': port })).rejects.toThrow(
        `port ${port} of user-service is already in use (npx nx serve user-service, or another stack?): stop it; the port is user-service's localPort in deploy/services.json`,
      );
    } finally {
      holder.close();
    }
    await expect(assertPortsFree({ 'user-service': port })).resolves.toBeUndefined();
  });
});
