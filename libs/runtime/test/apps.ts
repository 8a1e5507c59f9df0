// The same small service on each framework, adopting the platform the way the real services do.
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { Body, Controller, Get, Header, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { problems, ProblemError } from '@platform/errors';
import { createRuntime, type ServiceRuntime } from '../src/index';
import { expressPlatform } from '../src/express';
import { fastifyOptions, platform } from '../src/fastify';
import { PlatformModule } from '../src/nest';
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

function newRuntime(options: { shutdownDelayMs?: number; drainTimeoutMs?: number } = {}) {
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

export async function expressApp(options?: { shutdownDelayMs?: number; drainTimeoutMs?: number }): Promise<TestApp> {
  const { runtime, logs } = newRuntime(options);
  const app = express();
  const platformAdapter = expressPlatform(runtime, { bodyLimitBytes: 1024 });
  platformAdapter.before(app);
  app.get('/items/:id', (req, res) => {
    if (req.params.id === 'missing') throw notFound(req.params.id);
    req.log.info({ item: req.params.id }, 'item read');
    res.json({ id: req.params.id });
  });
  app.get('/slow', async (_req, res) => {
    await sleep(400);
    res.json({ slow: true });
  });
  app.get('/boom', () => {
    throw new Error('secret internals: SELECT * FROM users');
  });
  app.post('/echo', (req, res) => {
    res.status(201).json(req.body);
  });
  platformAdapter.after(app);
  const server = createServer(app);
  await runtime.listen(server, 0, '127.0.0.1');
  return { runtime, server, logs, close: async () => void (await runtime.shutdown()) };
}

export async function fastifyApp(options?: { shutdownDelayMs?: number; drainTimeoutMs?: number }): Promise<TestApp> {
  const { runtime, logs } = newRuntime(options);
  const app = Fastify(fastifyOptions(runtime, { bodyLimitBytes: 1024 }));
  await app.register(platform, { runtime });
  app.get<{ Params: { id: string } }>('/items/:id', async (request) => {
    if (request.params.id === 'missing') throw notFound(request.params.id);
    request.log.info({ item: request.params.id }, 'item read');
    return { id: request.params.id };
  });
  app.get('/slow', async () => {
    await sleep(400);
    return { slow: true };
  });
  app.get('/boom', async () => {
    throw new Error('secret internals: SELECT * FROM users');
  });
  app.post('/echo', async (request, reply) => reply.code(201).send(request.body));
  await app.ready();
  runtime.onClose('fastify', () => app.close());
  await runtime.listen(app.server, 0, '127.0.0.1');
  return { runtime, server: app.server, logs, close: async () => void (await runtime.shutdown()) };
}

@Controller()
class ItemsController {
  @Get('items/:id')
  item(@Param('id') id: string) {
    if (id === 'missing') throw notFound(id);
    return { id };
  }

  @Get('slow')
  async slow() {
    await sleep(400);
    return { slow: true };
  }

  @Get('boom')
  boom(): never {
    throw new Error('secret internals: SELECT * FROM users');
  }

  // Serialized here: Nest answers a handler's `null` with an empty body, and the test needs to see it.
  @Post('echo')
  @Header('content-type', 'application/json')
  echo(@Body() body: unknown): string | undefined {
    return JSON.stringify(body);
  }
}

export async function nestApp(options?: { shutdownDelayMs?: number; drainTimeoutMs?: number }): Promise<TestApp> {
  const { runtime, logs } = newRuntime(options);
  @Module({ imports: [PlatformModule.forRoot({ runtime, bodyLimitBytes: 1024 })], controllers: [ItemsController] })
  class AppModule {}
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { bodyParser: false, logger: false });
  app.disable('x-powered-by');
  await app.init();
  runtime.onClose('nest', () => app.close());
  const server = app.getHttpServer() as Server;
  await runtime.listen(server, 0, '127.0.0.1');
  return { runtime, server, logs, close: async () => void (await runtime.shutdown()) };
}

export const frameworks = { express: expressApp, fastify: fastifyApp, nest: nestApp };
