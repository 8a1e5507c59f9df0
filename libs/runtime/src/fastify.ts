import helmet from '@fastify/helmet';
import { accessCheckOf, type Authenticator } from '@platform/auth';
import { authentication } from '@platform/auth/fastify';
import { PLATFORM_PATHS, type ServiceApi } from '@platform/contracts';
import { openApi } from '@platform/contracts/fastify';
import { assertJsonDepth, bodyProblems, routeNotFound } from '@platform/errors';
import { frameworkErrorHandler, problemDetails } from '@platform/errors/fastify';
import { health } from '@platform/health/fastify';
import { REQUEST_ID_HEADER, requestIdFrom } from '@platform/logging';
import { metrics } from '@platform/metrics/fastify';
import { schemaValidator } from '@platform/validation';
import {
  type FastifyBodyParser,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
  type RouteOptions,
} from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceRuntime } from './runtime';
import { ObservedRequest } from './observe';

export interface FastifyPlatformOptions {
  /** Largest accepted JSON body; 100 kB by default. */
  readonly bodyLimitBytes?: number;
  /** The service's API, for the route template of a request Fastify refuses before routing. */
  readonly api?: ServiceApi;
}

/**
 * The server options a platform Fastify app is created with: the runtime's logger (Fastify's own
 * request logging off: the platform writes one line per request), request ids from
 * `x-request-id`, the body limit, no automatic 503 while closing (the runtime drains), and the
 * requests Fastify refuses before routing (a bad percent-encoding, a path parameter too long)
 * answered as problem details and observed like every other request.
 */
export function fastifyOptions(runtime: ServiceRuntime, options: FastifyPlatformOptions = {}): FastifyServerOptions {
  const { api } = options;
  return {
    loggerInstance: runtime.logger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: (req) => requestIdFrom(req.headers[REQUEST_ID_HEADER]),
    bodyLimit: options.bodyLimitBytes ?? 100 * 1024,
    return503OnClosing: false,
    onProtoPoisoning: 'error',
    frameworkErrors: (error, request, reply) => {
      const observed = new ObservedRequest(runtime, request.raw, String(request.id));
      const path = (request.raw.url ?? '/').split('?', 1)[0] ?? '/';
      reply.header(REQUEST_ID_HEADER, observed.id);
      reply.raw.once('finish', () =>
        observed.finish(api?.routes.template(request.raw.method ?? 'GET', path), reply.raw.statusCode),
      );
      return frameworkErrorHandler(error, request, reply);
    },
    onConstructorPoisoning: 'error',
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    observed?: ObservedRequest;
  }
}

export interface FastifyPlatformPluginOptions {
  readonly runtime: ServiceRuntime;
  /** The service's API: `GET /openapi.json`, and 405s from its operations. */
  readonly api?: ServiceApi;
  /** Verifies the bearer tokens of the routes whose operation needs one (`operationRoute`'s hook). */
  readonly auth?: Authenticator;
}

/**
 * Deny by default: every route is an operation (`operationRoute`, with its access check as the
 * route's own `onRequest` hook when it needs a bearer token) or one of the platform's paths; any
 * other route is refused when it is registered, and so is one that needs a token in an app without
 * an authenticator.
 */
function assertGuarded(this: FastifyInstance, route: RouteOptions): void {
  const op = route.config?.operation;
  const where = `${String(route.method)} ${route.url}`;
  if (op === undefined) {
    if (PLATFORM_PATHS.has(route.url)) return;
    throw new Error(
      `${where} is not an operation of the API: register it with app.route({ ...operationRoute(operation), handler })`,
    );
  }
  if (op.security === 'public') return;
  const hooks = [route.onRequest ?? []].flat();
  if (!hooks.some((hook) => accessCheckOf(hook) !== undefined)) {
    throw new Error(`${where} (${op.operationId}) needs a bearer token but its route checks none`);
  }
  if (!this.hasDecorator('platformAuthenticator')) {
    throw new Error(`${where} (${op.operationId}) needs a bearer token: give the platform an authenticator`);
  }
}

/**
 * Adopts the platform in a Fastify app: security headers, request observation, schema
 * validation with the platform's Ajv settings, the authenticator of the routes' access checks,
 * `/health/*`, `/metrics`, `/openapi.json` and problem details (404, or 405 for a path of the API
 * with another method). Register it before the service's routes: it refuses a route no operation guards.
 */
export const platform = fp<FastifyPlatformPluginOptions>(
  async (app: FastifyInstance, { runtime, api, auth }) => {
    if (auth !== undefined) await app.register(authentication, { authenticator: auth });
    app.addHook('onRoute', assertGuarded);
    app.setValidatorCompiler(({ schema, httpPart }) => schemaValidator(schema, httpPart === 'body' ? 'body' : 'query'));
    // JSON only: Fastify's built-in text/plain parser would accept what the other services refuse (415).
    app.removeContentTypeParser('text/plain');
    // JSON as the Express services read it: `application/*+json` too, a charset other than UTF-8
    // refused (Fastify would read it as UTF-8 anyway), and an empty body is no body.
    const parseJson = app.getDefaultJsonParser('error', 'error');
    const readJson: FastifyBodyParser<string> = (request, body, done) => {
      if (!isUtf8Json(request.headers['content-type'])) done(bodyProblems('unsupported-media-type'), undefined);
      else if (body === '') done(null, undefined);
      else parseJson(request, body, done);
    };
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, readJson);
    app.addContentTypeParser(/^application\/[^;\s]+\+json(?:\s*;|$)/i, { parseAs: 'string' }, readJson);
    app.decorateRequest('observed', undefined);
    app.addHook('onRequest', async (request, reply) => {
      request.observed = new ObservedRequest(runtime, request.raw, String(request.id));
      reply.header(REQUEST_ID_HEADER, request.id);
      // One rule in all three services: paths match exactly. Fastify's router would read
      // `/payments/` as `/payments/:id` with an empty id; Express and the ALB have no such route.
      const path = (request.raw.url ?? '/').split('?', 1)[0] ?? '/';
      if ((path.length > 1 && path.endsWith('/')) || path.includes('//')) throw routeNotFound(request.method, path);
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

/** No charset, or UTF-8: what JSON is (RFC 8259 §8.1). */
function isUtf8Json(contentType: string | undefined): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType ?? '')?.[1];
  return charset === undefined || /^utf-?8$/i.test(charset);
}
