// The same small service on each framework, adopting the platform the way the real services do.
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { Controller, Header, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { operation } from '@platform/contracts';
import { route } from '@platform/contracts/express';
import { operationRoute } from '@platform/contracts/fastify';
import { Input, Route } from '@platform/contracts/nest';
import { problems, ProblemError } from '@platform/errors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createRuntime, type ServiceRuntime } from '../src/index';
import { expressPlatform } from '../src/express';
import { fastifyOptions, platform } from '../src/fastify';
import { PlatformModule, platformHttpAdapter } from '../src/nest';
import express from 'express';
import Fastify from 'fastify';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TestApp {
  runtime: ServiceRuntime;
  server: Server;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export function captureLogs() {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  return { logs, destination };
}

export interface RuntimeTestOptions {
  shutdownDelayMs?: number;
  drainTimeoutMs?: number;
  metricsPort?: number;
}

function newRuntime(options: RuntimeTestOptions = {}) {
  const { logs, destination } = captureLogs();
  const runtime = createRuntime({
    service: 'test-service',
    version: '0.0.1',
    logLevel: 'debug',
    logDestination: destination,
    processMetrics: false,
    ...options,
  });
  return { runtime, logs };
}

const notFound = (id: string) => new ProblemError(problems.notFound, `Item ${id} does not exist.`);

// Public operations: what the platform does for every request, with no bearer token in the way.
const common = { tags: ['test'], security: 'public', responses: { 200: { description: 'Ok.' } } } as const;
const getItem = operation({
  ...common,
  method: 'get',
  path: '/items/{id}',
  operationId: 'getItem',
  summary: 'An item',
  params: Type.Object({ id: Type.String() }),
  successStatus: 200,
});
const slow = operation({
  ...common,
  method: 'get',
  path: '/slow',
  operationId: 'slow',
  summary: 'Slow',
  successStatus: 200,
});
const boom = operation({
  ...common,
  method: 'get',
  path: '/boom',
  operationId: 'boom',
  summary: 'Boom',
  successStatus: 200,
});
const echo = operation({
  ...common,
  method: 'post',
  path: '/echo',
  operationId: 'echo',
  summary: 'The body back',
  body: Type.Unknown(),
  bodyOptional: true,
  successStatus: 201,
});
const secretInternals = () => {
  throw new Error('secret internals: SELECT * FROM users');
};

export async function expressApp(options?: RuntimeTestOptions): Promise<TestApp> {
  const { runtime, logs } = newRuntime(options);
  const app = express();
  const platformAdapter = expressPlatform(runtime, { bodyLimitBytes: 1024 });
  app.use(platformAdapter.requests);
  const router = platformAdapter.operations();
  route(router, getItem, ({ params }, req) => {
    if (params.id === 'missing') throw notFound(params.id);
    req.log.info({ item: params.id }, 'item read');
    return { id: params.id };
  });
  route(router, slow, async () => {
    await sleep(400);
    return { slow: true };
  });
  route(router, boom, secretInternals);
  route(router, echo, ({ body }, _req, res) => void res.status(201).json(body));
  app.use(router);
  app.use(platformAdapter.errors);
  const server = createServer(app);
  await runtime.listen(server, 0, '127.0.0.1');
  return { runtime, server, logs, close: async () => void (await runtime.shutdown()) };
}

export async function fastifyApp(options?: RuntimeTestOptions): Promise<TestApp> {
  const { runtime, logs } = newRuntime(options);
  const app = Fastify(fastifyOptions(runtime, { bodyLimitBytes: 1024 }));
  await app.register(platform, { runtime });
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.route({
    ...operationRoute(getItem),
    handler: (request) => {
      const { id } = request.params;
      if (id === 'missing') throw notFound(id);
      request.log.info({ item: id }, 'item read');
      return { id };
    },
  });
  typed.route({
    ...operationRoute(slow),
    handler: async () => {
      await sleep(400);
      return { slow: true };
    },
  });
  typed.route({ ...operationRoute(boom), handler: async () => secretInternals() });
  typed.route({ ...operationRoute(echo), handler: async (request, reply) => reply.code(201).send(request.body) });
  await app.ready();
  runtime.onClose('fastify', () => app.close());
  await runtime.listen(app.server, 0, '127.0.0.1');
  return { runtime, server: app.server, logs, close: async () => void (await runtime.shutdown()) };
}

@Controller()
class ItemsController {
  @Route(getItem)
  item(@Input() { params }: Input<typeof getItem>) {
    if (params.id === 'missing') throw notFound(params.id);
    return { id: params.id };
  }

  @Route(slow)
  async slow() {
    await sleep(400);
    return { slow: true };
  }

  @Route(boom)
  boom(): never {
    return secretInternals();
  }

  // Serialized here: Nest answers a handler's `null` with an empty body, and the test needs to see it.
  @Route(echo)
  @Header('content-type', 'application/json')
  echo(@Input() { body }: Input<typeof echo>): string | undefined {
    return JSON.stringify(body);
  }
}

export async function nestApp(options?: RuntimeTestOptions): Promise<TestApp> {
  const { runtime, logs } = newRuntime(options);
  @Module({ imports: [PlatformModule.forRoot({ runtime, bodyLimitBytes: 1024 })], controllers: [ItemsController] })
  class AppModule {}
  const app = await NestFactory.create<NestExpressApplication>(AppModule, platformHttpAdapter(), {
    bodyParser: false,
    logger: false,
  });
  await app.init();
  runtime.onClose('nest', () => app.close());
  const server = app.getHttpServer() as Server;
  await runtime.listen(server, 0, '127.0.0.1');
  return { runtime, server, logs, close: async () => void (await runtime.shutdown()) };
}

export const frameworks = { express: expressApp, fastify: fastifyApp, nest: nestApp };
