import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { METRICS_PATH, scrape } from './registry';

/** A Fastify plugin answering `GET /metrics` in the Prometheus text format, or OpenMetrics when asked for it. */
export const metrics = fp<{ registry: Registry }>(
  async (app: FastifyInstance, { registry }) => {
    app.get(METRICS_PATH, async (request, reply) => {
      const { contentType, body } = await scrape(registry, request.headers.accept);
      return reply.type(contentType).header('cache-control', 'no-store').send(body);
    });
  },
  { fastify: '5.x', name: '@platform/metrics' },
);
