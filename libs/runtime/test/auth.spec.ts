// Bearer tokens, the same way in every framework: one small API, its operations guarded by the
// platform from the contract, on Express, Fastify and NestJS, with tokens from a real issuer.
import { createServer, type Server } from 'node:http';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Authenticator, principalName } from '@platform/auth';
import { bearer, TestIssuer } from '@platform/auth/testing';
import { IdParams, operation, serviceApi } from '@platform/contracts';
import { route } from '@platform/contracts/express';
import { fastifyRoute } from '@platform/contracts/fastify';
import { Input, Route } from '@platform/contracts/nest';
import { Type } from '@sinclair/typebox';
import express from 'express';
import Fastify from 'fastify';
import request from 'supertest';
import { accessOfApi } from '../src/access';
import { createRuntime, type ServiceRuntime } from '../src/index';
import { expressPlatform } from '../src/express';
import { fastifyOptions, platform } from '../src/fastify';
import { PlatformModule } from '../src/nest';
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
    adapter.before(app);
    const router = express.Router();
    route(router, readThing, ({ caller }) => ({ caller: principalName(caller) }));
    route(router, writeThing, ({ caller }) => ({ caller: principalName(caller) }));
    app.use(router);
    adapter.after(app);
    return listening(runtime, logs, createServer(app));
  },
  fastify: async (auth) => {
    const { runtime, logs } = runtimeWithLogs();
    const app = Fastify(fastifyOptions(runtime, { api }));
    await app.register(platform, { runtime, api, auth });
    app.route(fastifyRoute(readThing, ({ caller }) => ({ caller: principalName(caller) })));
    app.route(
      fastifyRoute(writeThing, ({ caller }, _request, reply) =>
        reply.code(201).send({ caller: principalName(caller) }),
      ),
    );
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
    const app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false, logger: false });
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

describe('accessOfApi', () => {
  it('refuses an API with guarded operations and no authenticator, naming them', () => {
    expect(() => accessOfApi(api, undefined)).toThrow(/readThing, writeThing need a bearer token/);
  });

  it('finds what each request needs from its operation (a HEAD is a GET), nothing for the rest', async () => {
    const issuer = await TestIssuer.start();
    try {
      const accessOf = accessOfApi(api, new Authenticator(issuer.trust('things')));
      expect(accessOf?.('GET', `/things/${ID}`)).toEqual(readThing.security);
      expect(accessOf?.('HEAD', `/things/${ID}`)).toEqual(readThing.security);
      expect(accessOf?.('POST', '/things')).toEqual(writeThing.security);
      expect(accessOf?.('GET', '/health/ready')).toBeUndefined();
      expect(accessOf?.('DELETE', `/things/${ID}`)).toBeUndefined();
    } finally {
      await issuer.close();
    }
  });
});
