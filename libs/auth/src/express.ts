import { AsyncResource } from 'node:async_hooks';
import type { RequestHandler } from 'express';
import { type AccessOf, authorize } from './access';
import type { Authenticator } from './authenticator';
import { setPrincipal } from './principal';

/**
 * Express middleware: a request for an operation that needs a bearer token is authenticated and
 * authorized before its body is read; its principal is then `principalOf(req)`. Failures go to
 * the app's error handler as problems (401, 403, 503).
 */
export function bearerAuth(authenticator: Authenticator, accessOf: AccessOf): RequestHandler {
  return (req, _res, next) => {
    const access = accessOf(req.method, req.path);
    if (access === undefined) {
      next();
      return;
    }
    // The request's async context (its trace) goes on after the keys have been fetched.
    const resume = AsyncResource.bind(next);
    authenticator.authenticate(req.headers.authorization).then(
      (principal) => {
        try {
          authorize(principal, access);
        } catch (error) {
          resume(error);
          return;
        }
        setPrincipal(req, principal);
        resume();
      },
      (error: unknown) => resume(error),
    );
  };
}
