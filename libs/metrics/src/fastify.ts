import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { METRICS_PATH, scrape } from './registry';

/** A Fastify plugin answering `GET /metrics` in the Prometheus text format. */
export const metrics = fp<{ registry: Registry }>(
  async (app: FastifyInstance, { registry }) => {
    app.get(METRICS_PATH, async (_request, reply) => {
      const { contentType, body } = await scrape(registry);
      return reply.type(contentType).header('cache-control', 'no-store').send(body);
    });
  },
  { fastify: '5.x', name: '@platform/metrics' },
);
