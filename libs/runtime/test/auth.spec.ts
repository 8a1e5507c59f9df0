// Bearer tokens, the same way in every framework: one small API, its operations guarded by the
// platform from the contract, on Express, Fastify and NestJS, with tokens from a real issuer.
import { createServer, type Server } from 'node:http';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Authenticator, principalName } from '@platform/auth';
import { bearer, TestIssuer } from '@platform/auth/testing';
import { IdParams, operation, serviceApi } from '@platform/contracts';
import { route } from '@platform/contracts/express';
import { operationRoute } from '@platform/contracts/fastify';
import { callerOf } from '@platform/auth/fastify';
import { caseName, fillPath, judge, matrixCases } from '@platform/contracts/testing';
import { Input, Route } from '@platform/contracts/nest';
import { Type } from 'typebox';
import express from 'express';
import Fastify from 'fastify';
import request from 'supertest';
import { createRuntime, type ServiceRuntime } from '../src/index';
import { expressPlatform } from '../src/express';
import { fastifyOptions, platform } from '../src/fastify';
import { PlatformModule, platformHttpAdapter } from '../src/nest';
import { captureLogs } from './apps';

const readThing = operation({
  method: 'get',
  path: '/things/{id}',
  operationId: 'readThing',
  summary: 'Read a thing',
  tags: ['things'],
  security: { people: ['things:read'], workloads: true },
  params: IdParams,
  successStatus: 200,
  responses: { 200: { description: 'Who asked.' } },
});
const writeThing = operation({
  method: 'post',
  path: '/things',
  operationId: 'writeThing',
  summary: 'Write a thing',
  tags: ['things'],
  security: { people: ['things:write'] },
  body: Type.Object({ name: Type.String() }, { additionalProperties: false }),
  successStatus: 201,
  responses: { 201: { description: 'Who wrote.' } },
});
const api = serviceApi({
  info: { title: 'things', version: '1', description: 'Things.' },
  operations: [readThing, writeThing],
});
const ID = '6f1c3f6e-8f7a-4b7e-9a53-0b8f5a1d2c3e';
const ORDER_SERVICE = 'system:serviceaccount:order-service:order-service';

interface App {
  server: Server;
  logs: Record<string, unknown>[];
  runtime: ServiceRuntime;
}

function runtimeWithLogs() {
  const { logs, destination } = captureLogs();
  const runtime = createRuntime({
    service: 'things',
    version: '1',
    logDestination: destination,
    processMetrics: false,
  });
  return { runtime, logs };
}

async function listening(runtime: ServiceRuntime, logs: App['logs'], server: Server): Promise<App> {
  await runtime.listen(server, 0, '127.0.0.1');
  return { runtime, logs, server };
}

const frameworks: Record<string, (auth: Authenticator) => Promise<App>> = {
  express: async (auth) => {
    const { runtime, logs } = runtimeWithLogs();
    const app = express();
    const adapter = expressPlatform(runtime, { api, auth });
    app.use(adapter.requests);
    const router = adapter.operations();
    route(router, readThing, ({ caller }) => ({ caller: principalName(caller) }));
    route(router, writeThing, ({ caller }) => ({ caller: principalName(caller) }));
    app.use(router);
    app.use(adapter.errors);
    return listening(runtime, logs, createServer(app));
  },
  fastify: async (auth) => {
    const { runtime, logs } = runtimeWithLogs();
    const app = Fastify(fastifyOptions(runtime, { api }));
    await app.register(platform, { runtime, api, auth });
    app.route({ ...operationRoute(readThing), handler: (request) => ({ caller: principalName(callerOf(request)) }) });
    app.route({
      ...operationRoute(writeThing),
      handler: (request, reply) => reply.code(201).send({ caller: principalName(callerOf(request)) }),
    });
    await app.ready();
    return listening(runtime, logs, app.server);
  },
  nest: async (auth) => {
    const { runtime, logs } = runtimeWithLogs();
    @Controller()
    class ThingsController {
      @Route(readThing)
      read(@Input() { caller }: Input<typeof readThing>) {
        return { caller: principalName(caller) };
      }

      @Route(writeThing)
      write(@Input() { caller }: Input<typeof writeThing>) {
        return { caller: principalName(caller) };
      }
    }
    @Module({ imports: [PlatformModule.forRoot({ runtime, api, auth })], controllers: [ThingsController] })
    class AppModule {}
    const app = await NestFactory.create<NestExpressApplication>(AppModule, platformHttpAdapter(), {
      bodyParser: false,
      logger: false,
      abortOnError: false,
    });
    await app.init();
    runtime.onClose('nest', () => app.close());
    return listening(runtime, logs, app.getHttpServer() as Server);
  },
};

describe.each(Object.keys(frameworks))('bearer tokens on %s', (framework) => {
  const start = (auth: Authenticator) => (frameworks[framework] as (auth: Authenticator) => Promise<App>)(auth);
  let issuer: TestIssuer;
  let app: App;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
    app = await start(new Authenticator(issuer.trust('things')));
  });
  afterAll(async () => {
    await app.runtime.shutdown();
    await issuer.close();
  });
  const lineOf = (requestId: string) =>
    app.logs.find((l) => l['request_id'] === requestId && l['msg'] === 'request completed');

  it('lets a person with the scope, and an allowed workload, through; the log line names them', async () => {
    const person = await issuer.person('ada', { scope: 'things:read' });
    await request(app.server)
      .get(`/things/${ID}`)
      .set(bearer(person))
      .set('x-request-id', 'p1')
      .expect(200, { caller: 'ada' });
    const workload = await issuer.workload('things');
    await request(app.server)
      .get(`/things/${ID}`)
      .set(bearer(workload))
      .set('x-request-id', 'w1')
      .expect(200, { caller: ORDER_SERVICE });
    expect(lineOf('p1')).toMatchObject({ principal: 'ada', status_code: 200, route: '/things/:id' });
    expect(lineOf('w1')).toMatchObject({ principal: ORDER_SERVICE });
    expect(JSON.stringify(app.logs)).not.toContain(person.split('.')[2]);
  });

  it('answers no token 401 with a bare challenge, before reading the body or validating anything', async () => {
    for (const res of [
      await request(app.server).get(`/things/${ID}`).set('x-request-id', 'n1'),
      await request(app.server).get('/things/not-a-uuid'),
      await request(app.server).post('/things').set('content-type', 'text/plain').send('x'),
      await request(app.server).post('/things').set('content-type', 'application/json').send('{"name":'),
    ]) {
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="platform"');
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: 'urn:problem-type:authentication-required', status: 401 });
    }
    expect(lineOf('n1')).toMatchObject({ status_code: 401, route: '/things/:id' });
    expect(lineOf('n1')).not.toHaveProperty('principal');
  });

  it('answers a bad token 401 invalid_token, a missing scope 403 naming it, a stranger workload 403', async () => {
    const expired = await issuer.person('ada', { extra: { exp: Math.floor(Date.now() / 1000) - 120 } });
    const invalid = await request(app.server).get(`/things/${ID}`).set(bearer(expired));
    expect(invalid.status).toBe(401);
    expect(invalid.headers['www-authenticate']).toBe('Bearer realm="platform", error="invalid_token"');
    const reader = await issuer.person('ada', { scope: 'things:read' });
    const refused = await request(app.server).post('/things').set(bearer(reader)).send({ name: 'x' });
    expect(refused.status).toBe(403);
    expect(refused.headers['www-authenticate']).toBe(
      'Bearer realm="platform", error="insufficient_scope", scope="things:write"',
    );
    expect(refused.body).toMatchObject({ type: 'urn:problem-type:insufficient-scope', status: 403 });
    const stranger = await issuer.workload('things', 'system:serviceaccount:default:default');
    expect((await request(app.server).get(`/things/${ID}`).set(bearer(stranger))).status).toBe(403);
    const writer = await issuer.person('ada', { scope: 'things:write' });
    await request(app.server).post('/things').set(bearer(writer)).send({ name: 'x' }).expect(201, { caller: 'ada' });
  });

  it('keeps health, metrics and the contract open', async () => {
    await request(app.server).get('/health/live').expect(200);
    await request(app.server).get('/metrics').expect(200);
    await request(app.server).get('/openapi.json').expect(200);
  });

  it('answers 503 with Retry-After, not 401, while the issuer is down and no key is cached', async () => {
    const down = await TestIssuer.start();
    const cold = await start(new Authenticator(down.trust('things')));
    try {
      const token = await down.person('ada', { scope: 'things:read' });
      down.available = false;
      const res = await request(cold.server).get(`/things/${ID}`).set(bearer(token));
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.body).toMatchObject({ type: 'urn:problem-type:dependency-unavailable' });
    } finally {
      await cold.runtime.shutdown();
      await down.close();
    }
  });
});

/** Builds an app the platform must refuse: a plain route beside the operations, or an operation with no authenticator. */
const refused: Record<string, (options: { plainRoute: boolean; auth?: Authenticator }) => Promise<unknown>> = {
  express: async ({ plainRoute, auth }) => {
    const { runtime } = runtimeWithLogs();
    const app = express();
    const adapter = expressPlatform(runtime, { api, auth });
    app.use(adapter.requests);
    const router = adapter.operations();
    if (plainRoute) router.get('/things/:id/secret', (_req, res) => void res.json({ open: true }));
    else route(router, readThing, () => ({}));
    app.use(router);
    app.use(adapter.errors);
  },
  fastify: async ({ plainRoute, auth }) => {
    const { runtime } = runtimeWithLogs();
    const app = Fastify(fastifyOptions(runtime, { api }));
    await app.register(platform, { runtime, api, auth });
    if (plainRoute) app.get('/things/:id/secret', async () => ({ open: true }));
    else app.route({ ...operationRoute(readThing), handler: () => ({}) });
    await app.ready();
  },
  nest: async ({ plainRoute, auth }) => {
    const { runtime } = runtimeWithLogs();
    @Controller()
    class PlainController {
      @Get('things/:id/secret')
      secret() {
        return { open: true };
      }
    }
    @Controller()
    class ThingsController {
      @Route(readThing)
      read() {
        return {};
      }
    }
    @Module({
      imports: [PlatformModule.forRoot({ runtime, api, auth })],
      controllers: [plainRoute ? PlainController : ThingsController],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, platformHttpAdapter(), {
      bodyParser: false,
      logger: false,
      abortOnError: false,
    });
    await app.init();
  },
};

describe.each(Object.keys(frameworks))('access fails closed on %s', (framework) => {
  let issuer: TestIssuer;
  let app: App;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
    app = await (frameworks[framework] as (auth: Authenticator) => Promise<App>)(
      new Authenticator(issuer.trust('things')),
    );
  });
  afterAll(async () => {
    await app.runtime.shutdown();
    await issuer.close();
  });

  it('refuses to build an app with a route that is not an operation', async () => {
    const build = refused[framework] as (typeof refused)['express'];
    await expect(build({ plainRoute: true, auth: new Authenticator(issuer.trust('things')) })).rejects.toThrow(
      /\/things\/:?id\/secret|PlainController\.secret/,
    );
  });

  it('refuses to build an app whose operations need a token it cannot verify', async () => {
    const build = refused[framework] as (typeof refused)['express'];
    await expect(build({ plainRoute: false })).rejects.toThrow(/readThing|needs a bearer token/);
  });

  it('routes only the exact path: another case, a trailing or doubled slash is 404 before any check', async () => {
    const person = await issuer.person('ada', { scope: 'things:read' });
    for (const path of [`/THINGS/${ID}`, `/Things/${ID}`, `/things/${ID}/`, `//things/${ID}`, `/things//${ID}`]) {
      for (const headers of [{}, bearer(person)]) {
        const res = await request(app.server).get(path).set(headers);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expect(res.body).toMatchObject({ type: 'urn:problem-type:route-not-found' });
      }
    }
    await request(app.server).get(`/things/${ID}`).set(bearer(person)).expect(200, { caller: 'ada' });
  });

  it('answers two Authorization headers 400, whichever comes first', async () => {
    const person = await issuer.person('ada', { scope: 'things:read' });
    const raw = await rawGet(app.server, `/things/${ID}`, [
      ['Authorization', `Bearer ${person}`],
      ['Authorization', 'Bearer other'],
    ]);
    expect(raw.status).toBe(400);
    expect(raw.body).toMatchObject({ type: 'urn:problem-type:bad-request' });
  });

  it('answers OPTIONS 405 with Allow on a path of the API', async () => {
    const res = await request(app.server).options(`/things/${ID}`);
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toBe('GET, HEAD');
  });
});

/** A GET with the header lines exactly as given (repeated names included). */
async function rawGet(server: Server, path: string, headers: [string, string][]) {
  const { port } = server.address() as { port: number };
  const { request: send } = await import('node:http');
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = send(
      { host: '127.0.0.1', port, path, method: 'GET', headers: [['host', `127.0.0.1:${port}`], ...headers].flat() },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || 'null') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('a route added to the Express app itself, beside the operation routers', () => {
  it('makes the app answer nothing but 500, from its first request, and says why', async () => {
    const issuer = await TestIssuer.start();
    const { runtime, logs } = runtimeWithLogs();
    try {
      const app = express();
      const adapter = expressPlatform(runtime, { api, auth: new Authenticator(issuer.trust('things')) });
      app.use(adapter.requests);
      const router = adapter.operations();
      route(router, readThing, () => ({}));
      app.use(router);
      app.get('/things/:id/secret', (_req, res) => void res.json({ open: true }));
      app.use(adapter.errors);
      const server = createServer(app);
      await runtime.listen(server, 0, '127.0.0.1');
      for (const path of [`/things/${ID}/secret`, '/health/live', `/things/${ID}`]) {
        const res = await request(server).get(path);
        expect({ path, status: res.status, open: res.body.open }).toEqual({ path, status: 500, open: undefined });
      }
      expect(JSON.stringify(logs)).toMatch(/GET \/things\/:id\/secret is not an operation of the API/);
    } finally {
      await runtime.shutdown();
      await issuer.close();
    }
  });
});

describe('the authorization matrix', () => {
  it('fails by name when one route loses its security', async () => {
    const issuer = await TestIssuer.start();
    const { runtime } = runtimeWithLogs();
    try {
      const app = express();
      const adapter = expressPlatform(runtime, { api, auth: new Authenticator(issuer.trust('things')) });
      app.use(adapter.requests);
      const router = adapter.operations();
      // The mistake: readThing registered as if it were public.
      route(router, { ...readThing, security: 'public' }, ({ params }) => ({ id: params.id }));
      route(router, writeThing, ({ caller }) => ({ caller: principalName(caller) }));
      app.use(router);
      app.use(adapter.errors);
      const server = createServer(app);
      await runtime.listen(server, 0, '127.0.0.1');
      const policy = { allowsWorkload: true, owned: () => false };
      const failures: string[] = [];
      for (const op of [readThing, writeThing]) {
        const path = fillPath(op, { id: ID });
        for (const c of matrixCases(op, path, policy, { person: [], admin: [] }).filter(
          (c) => c.principal === 'anonymous',
        )) {
          const res = await request(server)[c.variant.method.toLowerCase() as 'get'](c.variant.path);
          const verdict = judge(c, res.status);
          if (verdict !== undefined) failures.push(caseName(c));
        }
      }
      expect(failures).toContain('readThing × anonymous × canonical');
      expect(failures.every((name) => name.startsWith('readThing'))).toBe(true);
    } finally {
      await runtime.shutdown();
      await issuer.close();
    }
  });
});
