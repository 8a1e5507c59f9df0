import type { Authenticator } from '@platform/auth';
import type { ServiceRuntime } from '@platform/runtime';
import { fastifyOptions, platform } from '@platform/runtime/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { api } from './api';
import type { PaymentService } from './compose';
import { paymentRoutes } from './payments/routes';

export interface AppDependencies {
  readonly runtime: ServiceRuntime;
  readonly auth: Authenticator;
  readonly service: PaymentService;
}

/** The payment-service Fastify app, ready but not listening: tests inject, the server listens. */
export async function buildApp({ runtime, auth, service }: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify(fastifyOptions(runtime, { bodyLimitBytes: 100 * 1024, api }));
  await app.register(platform, { runtime, api, auth });
  await app.register(paymentRoutes, { payments: service.payments });
  await app.ready();
  return app;
}
