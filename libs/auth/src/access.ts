import { insufficientScope } from './challenge';
import type { Principal } from './principal';

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

/** The access an operation needs, found from a request's method and path; undefined when it is open. */
export type AccessOf = (method: string, path: string) => Access | undefined;

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
