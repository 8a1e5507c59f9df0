import { jsonBody, notFoundHandler, problemHandler } from '@platform/errors/express';
import { healthRouter } from '@platform/health/express';
import { REQUEST_ID_HEADER } from '@platform/logging';
import { metricsRouter } from '@platform/metrics/express';
import type { Express, Request, RequestHandler } from 'express';
import helmet from 'helmet';
import { ObservedRequest } from './observe';
import type { ServiceRuntime } from './runtime';

export interface ExpressPlatformOptions {
  /** Largest accepted JSON body; 100 kB by default. */
  readonly bodyLimitBytes?: number;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The request id: the caller's `x-request-id` or a new UUID; echoed in the response. */
    readonly id: string;
    /** A logger bound to this request's id. */
    readonly log: ObservedRequest['log'];
    observed?: ObservedRequest;
  }
}

/** The route template Express matched (`/users/:id`), or undefined when nothing matched. */
const routeOf = (req: Request): string | undefined => {
  const path: unknown = req.route?.path;
  return typeof path === 'string' ? req.baseUrl + path : undefined;
};

/** Request id, one log line and RED metrics per request, measured once. */
export function observeRequests(runtime: ServiceRuntime): RequestHandler {
  return (req, res, next) => {
    extendRequest(Object.getPrototypeOf(req) as object);
    const observed = new ObservedRequest(runtime, req.headers[REQUEST_ID_HEADER]);
    req.observed = observed;
    res.setHeader(REQUEST_ID_HEADER, observed.id);
    res.once('finish', () => observed.finish(req.method, routeOf(req), res.statusCode));
    res.once('close', () => observed.finish(req.method, routeOf(req), res.writableFinished ? res.statusCode : 499));
    next();
  };
}

/** Makes `req.id` and `req.log` read the request's observation (once, on the prototype). */
function extendRequest(request: object): void {
  if (Object.prototype.hasOwnProperty.call(request, 'log')) return;
  Object.defineProperties(request, {
    id: {
      get(this: Request) {
        return this.observed?.id ?? '';
      },
      configurable: true,
    },
    log: {
      get(this: Request) {
        return this.observed?.log;
      },
      configurable: true,
    },
  });
}

/**
 * Adopts the platform in an Express app: call `before` first (security headers, request
 * observation, JSON bodies, `/health/*`, `/metrics`), mount the service's routes, then `after`
 * (404 and problem details for every error).
 */
export function expressPlatform(runtime: ServiceRuntime, options: ExpressPlatformOptions = {}) {
  const limitBytes = options.bodyLimitBytes ?? 100 * 1024;
  return {
    before(app: Express): void {
      app.disable('x-powered-by');
      app.use(
        observeRequests(runtime),
        helmet(),
        healthRouter(runtime.health),
        metricsRouter(runtime.metrics),
        ...jsonBody({ limitBytes }),
      );
    },
    after(app: Express): void {
      app.use(
        notFoundHandler(),
        problemHandler({
          onUnexpected: (error, req) => (req.observed?.log ?? runtime.logger).error({ err: error }, 'unexpected error'),
        }),
      );
    },
  };
}
