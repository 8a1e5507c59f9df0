import helmet from '@fastify/helmet';
import type { ServiceApi } from '@platform/contracts';
import { openApi } from '@platform/contracts/fastify';
import { assertJsonDepth } from '@platform/errors';
import { frameworkErrorHandler, problemDetails } from '@platform/errors/fastify';
import { health } from '@platform/health/fastify';
import { REQUEST_ID_HEADER, requestIdFrom } from '@platform/logging';
import { metrics } from '@platform/metrics/fastify';
import { schemaValidator } from '@platform/validation';
import { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceRuntime } from './runtime';
import { ObservedRequest } from './observe';

export interface FastifyPlatformOptions {
  /** Largest accepted JSON body; 100 kB by default. */
  readonly bodyLimitBytes?: number;
}

/**
 * The server options a platform Fastify app is created with: the runtime's logger (Fastify's own
 * request logging off: the platform writes one line per request), request ids from
 * `x-request-id`, the body limit, and no automatic 503 while closing (the runtime drains).
 */
export function fastifyOptions(runtime: ServiceRuntime, options: FastifyPlatformOptions = {}): FastifyServerOptions {
  return {
    loggerInstance: runtime.logger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: (req) => requestIdFrom(req.headers[REQUEST_ID_HEADER]),
    bodyLimit: options.bodyLimitBytes ?? 100 * 1024,
    return503OnClosing: false,
    onProtoPoisoning: 'error',
    frameworkErrors: frameworkErrorHandler,
    onConstructorPoisoning: 'error',
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    observed?: ObservedRequest;
  }
}

/**
 * Adopts the platform in a Fastify app: security headers, request observation, schema
 * validation with the platform's Ajv settings, `/health/*`, `/metrics`, `/openapi.json` and
 * problem details (404, or 405 for a path of the API with another method).
 */
export interface FastifyPlatformPluginOptions {
  readonly runtime: ServiceRuntime;
  /** The service's API: `GET /openapi.json`, and 405s from its operations. */
  readonly api?: ServiceApi;
}

export const platform = fp<FastifyPlatformPluginOptions>(
  async (app: FastifyInstance, { runtime, api }) => {
    app.setValidatorCompiler(({ schema, httpPart }) => schemaValidator(schema, httpPart === 'body' ? 'body' : 'query'));
    // JSON only: Fastify's built-in text/plain parser would accept what the other services refuse (415).
    app.removeContentTypeParser('text/plain');
    app.decorateRequest('observed', undefined);
    app.addHook('onRequest', async (request, reply) => {
      request.observed = new ObservedRequest(runtime, request.raw, String(request.id));
      reply.header(REQUEST_ID_HEADER, request.id);
    });
    // Deeply nested bodies are refused before anything walks them (a recursion DoS otherwise).
    app.addHook('preValidation', async (request) => assertJsonDepth(request.body));
    app.addHook('onResponse', async (request, reply) => {
      request.observed?.finish(request.is404 ? undefined : request.routeOptions.url, reply.statusCode);
    });
    await app.register(helmet);
    await app.register(problemDetails, {
      onUnexpected: (error, request) => request.log.error({ err: error }, 'unexpected error'),
      allowedMethods: api?.routes.allowedMethods,
    });
    await app.register(health, { registry: runtime.health });
    await app.register(metrics, { registry: runtime.metrics });
    if (api !== undefined) await app.register(openApi, { document: api.document });
  },
  { fastify: '5.x', name: '@platform/runtime' },
);
