import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { type Access, admit, markAccessCheck } from './access';
import { authenticationRequired } from './challenge';
import { type Principal, principalOf } from './principal';
import type { Authenticator } from './authenticator';

declare module 'fastify' {
  interface FastifyInstance {
    /** What the routes' `requireAccess` hooks verify bearer tokens with (the `authentication` plugin). */
    platformAuthenticator: Authenticator | null;
  }
}

/** Gives the app the authenticator its routes' `requireAccess` hooks use. */
export const authentication = fp<{ readonly authenticator: Authenticator }>(
  async (app: FastifyInstance, { authenticator }) => {
    app.decorate('platformAuthenticator', authenticator);
  },
  { fastify: '5.x', name: '@platform/auth' },
);

/**
 * A route's own `onRequest` hook: the request is authenticated and authorized for the operation's
 * `access` before its body is read; its principal is then `principalOf(request.raw)`. Failures are
 * problems (400, 401, 403, 503) for the app's error handler; an app without the `authentication`
 * plugin refuses every request (the platform also refuses to start so).
 */
export function requireAccess(access: Access): onRequestAsyncHookHandler {
  return markAccessCheck(async function admitRequest(this: FastifyInstance, request: FastifyRequest) {
    const authenticator = this.hasDecorator('platformAuthenticator') ? this.platformAuthenticator : null;
    if (authenticator === null)
      throw new Error('requireAccess: the app has no authenticator (register `authentication`)');
    await admit(authenticator, access, request.raw);
  }, access);
}

/**
 * The caller its route's access hook admitted: how a handler reaches its principal. It fails
 * closed: a request that reached a handler without one is refused (401), never served anonymously.
 */
export function callerOf(request: FastifyRequest): Principal {
  const principal = principalOf(request.raw);
  if (principal === undefined) throw authenticationRequired();
  return principal;
}
