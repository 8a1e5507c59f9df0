import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HEALTH_PATHS, type HealthProbe, type HealthRegistry, httpStatusOf } from './registry';

export interface HealthPluginOptions {
  readonly registry: HealthRegistry;
}

/** A Fastify plugin answering `/health/live`, `/health/ready` and `/health/startup`. */
export const health = fp<HealthPluginOptions>(
  async (app: FastifyInstance, { registry }) => {
    for (const [probe, path] of Object.entries(HEALTH_PATHS) as [HealthProbe, string][]) {
      app.get(path, { logLevel: 'warn' }, async (_request, reply) => {
        const report = await registry.probe(probe);
        return reply.code(httpStatusOf(report)).header('cache-control', 'no-store').send(report);
      });
    }
  },
  { fastify: '5.x', name: '@platform/health' },
);
