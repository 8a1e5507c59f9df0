import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IdempotencyStore } from '@platform/persistence';
import type { ServiceRuntime } from '@platform/runtime';
import { fastifyOptions, platform } from '@platform/runtime/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Payments } from './payments/payments';
import { paymentRoutes } from './payments/routes';

export interface AppDependencies {
  readonly runtime: ServiceRuntime;
  readonly payments: Payments;
  readonly idempotency: IdempotencyStore;
}

/** The payment-service Fastify app, ready but not listening: tests inject, the server listens. */
export async function buildApp({ runtime, payments, idempotency }: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify(fastifyOptions(runtime, { bodyLimitBytes: 100 * 1024 })).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(platform, { runtime });
  await app.register(paymentRoutes, { payments, idempotency });
  await app.ready();
  return app;
}
