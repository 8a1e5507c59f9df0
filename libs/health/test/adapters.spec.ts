import { Test } from '@nestjs/testing';
import { HealthRegistry } from '../src/index';
import { healthRouter } from '../src/express';
import { health } from '../src/fastify';
import { HealthModule } from '../src/nest';
import express from 'express';
import Fastify from 'fastify';
import request from 'supertest';
import type { Server } from 'node:http';

interface Harness {
  server: Server;
  close(): Promise<void>;
}

const frameworks: Record<string, (registry: HealthRegistry) => Promise<Harness>> = {
  express: async (registry) => {
    const app = express().use(healthRouter(registry));
    const server = app.listen(0);
    return { server, close: () => new Promise((resolve) => server.close(() => resolve())) };
  },
  fastify: async (registry) => {
    const app = Fastify();
    await app.register(health, { registry });
    await app.ready();
    return { server: app.server, close: () => app.close() };
  },
  nest: async (registry) => {
    const moduleRef = await Test.createTestingModule({ imports: [HealthModule.forRoot({ registry })] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return { server: app.getHttpServer() as Server, close: () => app.close() };
  },
};

describe.each(Object.keys(frameworks))('health adapter for %s', (framework) => {
  let registry: HealthRegistry;
  let harness: Harness;
  let dbUp: boolean;

  beforeEach(async () => {
    dbUp = true;
    registry = new HealthRegistry();
    registry.register({
      name: 'db',
      timeoutMs: 100,
      check: async () => (dbUp ? undefined : new Promise(() => undefined)),
    });
    harness = await (frameworks[framework] as (registry: HealthRegistry) => Promise<Harness>)(registry);
  });
  afterEach(() => harness.close());

  it('answers live 200, and startup and ready 503 until started', async () => {
    await request(harness.server).get('/health/live').expect(200, { status: 'ok', checks: {} });
    await request(harness.server).get('/health/startup').expect(503);
    await request(harness.server).get('/health/ready').expect(503);
  });

  it('answers ready 200 with each check, then 503 when a dependency hangs', async () => {
    registry.markStarted();
    const ok = await request(harness.server).get('/health/ready').expect(200).expect('cache-control', 'no-store');
    expect(ok.body).toMatchObject({ status: 'ok', checks: { db: { status: 'ok' } } });
    dbUp = false;
    const down = await request(harness.server).get('/health/ready').expect(503);
    expect(down.body).toMatchObject({ status: 'error', checks: { db: { status: 'error', error: 'timeout' } } });
    dbUp = true;
    await request(harness.server).get('/health/ready').expect(200);
  });

  it('answers ready 503 once shutdown begins', async () => {
    registry.markStarted();
    registry.markShuttingDown();
    const res = await request(harness.server).get('/health/ready').expect(503);
    expect(res.body).toMatchObject({ status: 'error', reason: 'shutting down' });
    await request(harness.server).get('/health/live').expect(200);
  });
});
