import { AsyncResource } from 'node:async_hooks';
import type { RequestHandler } from 'express';
import { type Access, admit, markAccessCheck } from './access';
import type { Authenticator } from './authenticator';

/**
 * Express middleware for one route's handler chain: the request is authenticated and authorized
 * for the operation's `access` before anything else of the route runs (its body is not read yet);
 * its principal is then `principalOf(req)`. Failures go to the app's error handler as problems
 * (400, 401, 403, 503).
 */
export function requireAccess(authenticator: Authenticator, access: Access): RequestHandler {
  const check: RequestHandler = (req, _res, next) => {
    // The request's async context (its trace) goes on after the keys have been fetched.
    const resume = AsyncResource.bind(next);
    admit(authenticator, access, req).then(
      () => resume(),
      (error: unknown) => resume(error),
    );
  };
  return markAccessCheck(check, access);
}
