import type { IncomingMessage } from 'node:http';

/** The scope that makes a person an administrator. */
export const ADMIN_SCOPE = 'platform:admin';

/** A person, signed in with an OpenID Connect issuer: the token's issuer, subject and scopes. */
export interface Person {
  readonly kind: 'person';
  readonly issuer: string;
  readonly subject: string;
  readonly scopes: ReadonlySet<string>;
}

/** Another service, by its Kubernetes service account (`system:serviceaccount:<namespace>:<name>`). */
export interface Workload {
  readonly kind: 'workload';
  readonly serviceAccount: string;
  /** Whether this service's configuration lets that service account call it. */
  readonly allowed: boolean;
}

/** Who made a request, as its bearer token proves. */
export type Principal = Person | Workload;

/** Whose a resource is: the person (issuer and subject) who created it. */
export interface Owner {
  readonly issuer: string;
  readonly subject: string;
}

export const isAdmin = (principal: Principal): boolean =>
  principal.kind === 'person' && principal.scopes.has(ADMIN_SCOPE);

export const ownerOf = (person: Person): Owner => ({ issuer: person.issuer, subject: person.subject });

/** True when `principal` is the person who owns the resource (never for a resource without owner). */
export const isOwner = (principal: Principal, owner: Owner | null | undefined): boolean =>
  principal.kind === 'person' &&
  owner != null &&
  owner.issuer === principal.issuer &&
  owner.subject === principal.subject;

/** The caller in a log line: a person's subject or a workload's service account, never the token. */
export const principalName = (principal: Principal): string =>
  principal.kind === 'person' ? principal.subject : principal.serviceAccount;

const principals = new WeakMap<IncomingMessage, Principal>();

/** The principal a request was authenticated as, on the Node request whatever the framework. */
export const principalOf = (req: IncomingMessage): Principal | undefined => principals.get(req);

export const setPrincipal = (req: IncomingMessage, principal: Principal): void => {
  principals.set(req, principal);
};
