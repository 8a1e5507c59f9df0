import { accessCheckOf, type Authenticator } from '@platform/auth';
import { PLATFORM_PATHS, type ServiceApi } from '@platform/contracts';
import { openApiRouter, operationOf, operationRouter, type OperationRouter } from '@platform/contracts/express';
import { methodNotAllowed, routeNotFound } from '@platform/errors';
import { problemHandler } from '@platform/errors/express';
import { healthRouter } from '@platform/health/express';
import { REQUEST_ID_HEADER } from '@platform/logging';
import { metricsRouter } from '@platform/metrics/express';
import { type ErrorRequestHandler, type Request, type RequestHandler, Router } from 'express';
import helmet from 'helmet';
import { ObservedRequest } from './observe';
import type { ServiceRuntime } from './runtime';

export interface ExpressPlatformOptions {
  /** Largest accepted JSON body; 100 kB by default. */
  readonly bodyLimitBytes?: number;
  /** The service's API: `GET /openapi.json`, and route templates and 405s from its operations. */
  readonly api?: ServiceApi;
  /** Authenticates the requests for the API's operations that need a bearer token. */
  readonly auth?: Authenticator;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id: the caller's `x-request-id` or a new UUID; echoed in the response. */
    id: string;
    /** A logger bound to this request's id (made when first used). */
    readonly log: ObservedRequest['log'];
    observed?: ObservedRequest;
  }
}

/**
 * The route template of a request: the one Express matched (`/users/:id`), else the operation's
 * it was for when it failed before routing (a bad body), else undefined.
 */
const routeOf = (req: Request, api: ServiceApi | undefined): string | undefined => {
  const path: unknown = req.route?.path;
  return typeof path === 'string' ? req.baseUrl + path : api?.routes.template(req.method, req.path);
};

/** Request id, one log line and RED metrics per request, measured once. */
export function observeRequests(runtime: ServiceRuntime, api?: ServiceApi): RequestHandler {
  return (req, res, next) => {
    const observed = new ObservedRequest(runtime, req);
    req.observed = observed;
    req.id = observed.id;
    // `req.log`, made when first used (a property of this request, as Express extends requests).
    Object.defineProperty(req, 'log', { get: () => observed.log, configurable: true });
    res.setHeader(REQUEST_ID_HEADER, observed.id);
    res.once('finish', () => observed.finish(routeOf(req, api), res.statusCode));
    res.once('close', () => observed.finish(routeOf(req, api), res.writableFinished ? res.statusCode : 499));
    next();
  };
}

/** A request no route takes: a path of the API with another method is 405 (with `Allow`), any other 404. */
const unmatched =
  (api: ServiceApi | undefined): RequestHandler =>
  (req, _res, next) => {
    const allowed = api?.routes.allowedMethods(req.path) ?? [];
    next(allowed.length > 0 ? methodNotAllowed(req.method, req.path, allowed) : routeNotFound(req.method, req.path));
  };

interface Layer {
  readonly route?: { readonly path: unknown; readonly methods: Record<string, boolean>; readonly stack: Layer[] };
  readonly handle?: { readonly stack?: Layer[] };
}

/**
 * Deny by default: every route of the app is an operation registered by `route` (with its access
 * check when it needs a bearer token) or one of the platform's own paths. Anything else would be
 * a door nobody guards, so the app is refused when it is built.
 */
function assertEveryRouteGuarded(stack: readonly Layer[]): void {
  for (const layer of stack) {
    if (layer.handle?.stack !== undefined) assertEveryRouteGuarded(layer.handle.stack);
    const { route } = layer;
    if (route === undefined) continue;
    const handlers = route.stack.map((l) => l.handle);
    const op = handlers.map(operationOf).find((found) => found !== undefined);
    const where = `${Object.keys(route.methods).join(',').toUpperCase()} ${String(route.path)}`;
    if (op === undefined) {
      if (typeof route.path === 'string' && PLATFORM_PATHS.has(route.path)) continue;
      throw new Error(`${where} is not an operation of the API: register it with route(router, operation, handler)`);
    }
    if (op.security !== 'public' && !handlers.some((handler) => accessCheckOf(handler) !== undefined)) {
      throw new Error(`${where} (${op.operationId}) needs a bearer token but its route checks none`);
    }
  }
}

/**
 * The platform in an Express app, as Express composes: a Router that comes first (request
 * observation, security headers, `/health/*`, `/metrics`, `/openapi.json`), the service's routers
 * (`operations()`: a Router on which every route is an operation of the API, guarded on its own
 * route), and error-handling middleware that comes last (404 or 405, and problem details for every
 * error):
 *
 *   app.use(platform.requests);
 *   app.use(usersRouter(platform.operations(), users));
 *   app.use(platform.errors);
 *
 * Deny by default: an operation router refuses a route that is not an operation when it is
 * registered; a route registered on the app itself is found at its first request, and the app then
 * answers nothing but 500 (and logs why).
 */
export function expressPlatform(runtime: ServiceRuntime, options: ExpressPlatformOptions = {}) {
  const limitBytes = options.bodyLimitBytes ?? 100 * 1024;
  const { api } = options;
  const requests = Router({ caseSensitive: true, strict: true });
  let guarded: Error | null | undefined;
  requests.use(
    observeRequests(runtime, api),
    (req, _res, next) => {
      // Once: every route of the app is an operation or one of the platform's own.
      if (guarded === undefined) {
        try {
          assertEveryRouteGuarded((req.app.router as unknown as { stack: Layer[] }).stack);
          guarded = null;
        } catch (error) {
          guarded = error as Error;
          runtime.logger.error({ err: guarded }, 'the app has a route no operation guards: it answers nothing');
        }
      }
      next(guarded ?? undefined);
    },
    helmet(),
    healthRouter(runtime.health),
    metricsRouter(runtime.metrics),
  );
  if (api !== undefined) requests.use(openApiRouter(api.document));
  // OPTIONS is no method of any API here: 405 (404 off the API) before a router answers it itself.
  requests.use((req, res, next) => (req.method === 'OPTIONS' ? unmatched(api)(req, res, next) : next()));
  const errors: [RequestHandler, ErrorRequestHandler] = [
    unmatched(api),
    problemHandler({
      onUnexpected: (error, req) => (req.observed?.log ?? runtime.logger).error({ err: error }, 'unexpected error'),
    }),
  ];
  return {
    /** First: observation, security headers and the platform's own paths. */
    requests,
    /** A Router for the service's operations, registered with `route(router, operation, handler)`. */
    operations(): OperationRouter {
      return operationRouter({ auth: options.auth, bodyLimitBytes: limitBytes });
    },
    /** Last: 404 or 405 for what no route took, then problem details for every error. */
    errors,
  };
}
