import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type AccessOf, authorize } from './access';
import type { Authenticator } from './authenticator';
import { setPrincipal } from './principal';

export interface BearerAuthOptions {
  readonly authenticator: Authenticator;
  /** The access an operation needs, from a request's method and path; undefined when it is open. */
  readonly accessOf: AccessOf;
}

/**
 * A request for an operation that needs a bearer token is authenticated and authorized in
 * `onRequest`, before its body is read; its principal is then `principalOf(request.raw)`.
 * Failures are problems (401, 403, 503) for the app's error handler.
 */
export const bearerAuth = fp<BearerAuthOptions>(
  async (app: FastifyInstance, { authenticator, accessOf }) => {
    app.addHook('onRequest', async (request) => {
      const access = accessOf(request.method, (request.raw.url ?? '/').split('?', 1)[0] ?? '/');
      if (access === undefined) return;
      const principal = await authenticator.authenticate(request.headers.authorization);
      authorize(principal, access);
      setPrincipal(request.raw, principal);
    });
  },
  { fastify: '5.x', name: '@platform/auth' },
);
