import type { IncomingMessage } from 'node:http';
import { problems, ProblemError } from '@platform/errors';
import type { Authenticator } from './authenticator';
import { insufficientScope } from './challenge';
import { type Principal, setPrincipal } from './principal';

/**
 * Who may call an operation that needs a bearer token. Ownership (the owner or an administrator)
 * is the domain's to check, on the principal this grants.
 */
export interface Access {
  /** The scopes a person's token must all carry; people may not call the operation when absent. */
  readonly people?: readonly string[];
  /** Whether the service accounts this service allows (its configuration) may call it. */
  readonly workloads?: boolean;
}

/** Throws the 403 `insufficient_scope` problem unless `principal` may call an operation with `access`. */
export function authorize(principal: Principal, access: Access): void {
  if (principal.kind === 'workload') {
    if (access.workloads === true && principal.allowed) return;
    throw insufficientScope(access.people);
  }
  const needed = access.people;
  if (needed !== undefined && needed.every((scope) => principal.scopes.has(scope))) return;
  throw insufficientScope(needed);
}

/**
 * The request's one `Authorization` header. Node keeps the first of several and drops the rest; a
 * proxy in front may keep the last, and the two would then disagree about who is calling: 400.
 */
export function authorizationOf(req: IncomingMessage): string | undefined {
  let count = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if ((req.rawHeaders[i] as string).toLowerCase() === 'authorization') count++;
  }
  if (count > 1) throw new ProblemError(problems.badRequest, 'Send one Authorization header, not several.');
  return req.headers.authorization;
}

/**
 * Admits a request to an operation with `access`: authenticates its bearer token, authorizes the
 * principal and records it on the request (`principalOf(req)`). Throws the 400, 401, 403 or 503
 * problem otherwise. Every framework adapter attaches this to the operation's own route.
 */
export async function admit(authenticator: Authenticator, access: Access, req: IncomingMessage): Promise<Principal> {
  const principal = await authenticator.authenticate(authorizationOf(req));
  authorize(principal, access);
  setPrincipal(req, principal);
  return principal;
}

const ACCESS_CHECK = Symbol('@platform/auth:access-check');

/** Marks a framework's hook or middleware as the access check of a route, so the platform can see it is there. */
export function markAccessCheck<F extends object>(check: F, access: Access): F {
  return Object.defineProperty(check, ACCESS_CHECK, { value: access });
}

/** The access a route's hook or middleware checks, if it is an access check. */
export const accessCheckOf = (hook: unknown): Access | undefined =>
  typeof hook === 'function' ? (hook as { [ACCESS_CHECK]?: Access })[ACCESS_CHECK] : undefined;
