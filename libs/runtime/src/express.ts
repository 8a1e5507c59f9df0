import type { Authenticator } from '@platform/auth';
import { bearerAuth } from '@platform/auth/express';
import type { ServiceApi } from '@platform/contracts';
import { openApiRouter } from '@platform/contracts/express';
import { methodNotAllowed, routeNotFound } from '@platform/errors';
import { jsonBody, problemHandler } from '@platform/errors/express';
import { healthRouter } from '@platform/health/express';
import { REQUEST_ID_HEADER } from '@platform/logging';
import { metricsRouter } from '@platform/metrics/express';
import type { Express, Request, RequestHandler } from 'express';
import helmet from 'helmet';
import { accessOfApi } from './access';
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
    res.setHeader(REQUEST_ID_HEADER, observed.id);
    res.once('finish', () => observed.finish(routeOf(req, api), res.statusCode));
    res.once('close', () => observed.finish(routeOf(req, api), res.writableFinished ? res.statusCode : 499));
    next();
  };
}

/** The last route: a path of the API with another method is 405 (with `Allow`), any other 404. */
const unmatched =
  (api: ServiceApi | undefined): RequestHandler =>
  (req, _res, next) => {
    const allowed = api?.routes.allowedMethods(req.path) ?? [];
    next(allowed.length > 0 ? methodNotAllowed(req.method, req.path, allowed) : routeNotFound(req.method, req.path));
  };

/**
 * Adopts the platform in an Express app: call `before` first (security headers, request
 * observation, `/health/*`, `/metrics`, `/openapi.json`, bearer tokens, JSON bodies), mount the service's
 * routes, then `after` (404 or 405, and problem details for every error).
 */
export function expressPlatform(runtime: ServiceRuntime, options: ExpressPlatformOptions = {}) {
  const limitBytes = options.bodyLimitBytes ?? 100 * 1024;
  const { api } = options;
  const accessOf = accessOfApi(api, options.auth);
  return {
    before(app: Express): void {
      app.disable('x-powered-by');
      // `req.log`, on Express's request prototype for this app (how Express is extended).
      Object.defineProperty(app.request, 'log', {
        get(this: Request) {
          return this.observed?.log;
        },
        configurable: true,
      });
      app.use(observeRequests(runtime, api), helmet(), healthRouter(runtime.health), metricsRouter(runtime.metrics));
      if (api !== undefined) app.use(openApiRouter(api.document));
      // Who is calling is settled before the body is read: no 400 or 415 tells a stranger anything.
      if (accessOf !== undefined) app.use(bearerAuth(options.auth as Authenticator, accessOf));
      app.use(...jsonBody({ limitBytes }));
    },
    after(app: Express): void {
      app.use(
        unmatched(api),
        problemHandler({
          onUnexpected: (error, req) => (req.observed?.log ?? runtime.logger).error({ err: error }, 'unexpected error'),
        }),
      );
    },
  };
}
