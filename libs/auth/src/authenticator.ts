import { decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { authenticationRequired, invalidToken, issuerUnavailable } from './challenge';
import { IssuerKeys, type IssuerKeysOptions, IssuerUnavailableError } from './issuer-keys';
import type { Person, Principal, Workload } from './principal';

/** People: access tokens of an OpenID Connect issuer, for one audience (the platform's API). */
export interface PeopleTrust {
  readonly issuer: string;
  readonly audience: string;
}

/**
 * Workloads: Kubernetes service-account tokens of the cluster's issuer, for an audience naming
 * this service, from the service accounts allowed to call it.
 */
export interface WorkloadTrust {
  readonly issuer: string;
  readonly audience: string;
  readonly allowedServiceAccounts: readonly string[];
}

export interface AuthenticatorConfig {
  readonly people: PeopleTrust;
  readonly workloads?: WorkloadTrust;
}

export interface AuthenticatorOptions extends IssuerKeysOptions {
  /** Validated tokens remembered until they expire, so that a token is verified once, not per request. */
  readonly cacheSize?: number;
}

/** Asymmetric algorithms only: `none` and HMAC (a public key used as a shared secret) never verify. */
export const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
/** How far `exp` and `nbf` may be off: clocks drift, not by more than this. */
export const CLOCK_SKEW_SECONDS = 60;
/** Far above a real access token (1–2 kB), far below what would cost anything to refuse. */
export const MAX_TOKEN_LENGTH = 8 * 1024;

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const PRINTABLE_ID = /^[^\p{Cc}]{1,255}$/u;
const MAX_SCOPE_LENGTH = 4096;

interface Remembered {
  readonly principal: Principal;
  readonly expiresAtMs: number;
}

/**
 * Authenticates the bearer token of a request: its signature against its issuer's keys (an
 * asymmetric algorithm), its issuer, its audience, `exp` and `nbf` (with 60 s of skew), and the
 * types of the claims used. The answer is a principal, or a problem: 401 without or with
 * `invalid_token`, or 503 when the issuer cannot be reached and no cached key fits.
 */
export class Authenticator {
  readonly #people: PeopleTrust;
  readonly #workloads?: WorkloadTrust;
  readonly #issuers = new Map<string, { readonly keys: IssuerKeys; readonly audiences: string[] }>();
  readonly #remembered = new Map<string, Remembered>();
  readonly #cacheSize: number;
  readonly #now: () => number;

  constructor(config: AuthenticatorConfig, options: AuthenticatorOptions = {}) {
    this.#people = config.people;
    this.#workloads = config.workloads;
    this.#cacheSize = options.cacheSize ?? 1_000;
    this.#now = options.now ?? Date.now;
    for (const trust of [config.people, config.workloads]) {
      if (trust === undefined) continue;
      const known = this.#issuers.get(trust.issuer);
      if (known === undefined) {
        this.#issuers.set(trust.issuer, { keys: new IssuerKeys(trust.issuer, options), audiences: [trust.audience] });
      } else if (!known.audiences.includes(trust.audience)) {
        known.audiences.push(trust.audience);
      }
    }
  }

  /** The principal of an `Authorization` header, or a thrown 401 or 503 problem. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    // A token verified before is found by the header as sent, with no parsing at all.
    const remembered =
      authorization?.startsWith('Bearer ') === true ? this.#remembered.get(authorization.slice(7)) : undefined;
    if (remembered !== undefined && remembered.expiresAtMs > this.#now()) return remembered.principal;
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (token === undefined) throw authenticationRequired();
    if (token.length > MAX_TOKEN_LENGTH) throw invalidToken();
    if (remembered !== undefined) this.#remembered.delete(token);
    const { principal, expiresAtSeconds } = await this.#verify(token);
    this.#remember(token, { principal, expiresAtMs: (expiresAtSeconds + CLOCK_SKEW_SECONDS) * 1000 });
    return principal;
  }

  async #verify(token: string): Promise<{ principal: Principal; expiresAtSeconds: number }> {
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw invalidToken();
    }
    const trusted = typeof issuer === 'string' ? this.#issuers.get(issuer) : undefined;
    if (trusted === undefined || typeof issuer !== 'string') throw invalidToken();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, trusted.keys.getKey, {
        issuer,
        audience: trusted.audiences,
        algorithms: [...ALGORITHMS],
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(this.#now()),
      }));
    } catch (error) {
      if (error instanceof IssuerUnavailableError) throw issuerUnavailable(error.retryAfterMs / 1000);
      throw invalidToken();
    }
    const principal = this.#principal(issuer, payload);
    if (principal === undefined) throw invalidToken();
    return { principal, expiresAtSeconds: payload.exp as number };
  }

  /** Who the verified claims name, or undefined when a claim used has the wrong type. */
  #principal(issuer: string, payload: JWTPayload): Principal | undefined {
    const { sub } = payload;
    if (typeof sub !== 'string' || !PRINTABLE_ID.test(sub)) return undefined;
    const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    if (issuer === this.#people.issuer && audiences.includes(this.#people.audience)) {
      const scopes = scopesOf(payload);
      return scopes === undefined ? undefined : ({ kind: 'person', issuer, subject: sub, scopes } satisfies Person);
    }
    const workloads = this.#workloads;
    if (workloads !== undefined && issuer === workloads.issuer && audiences.includes(workloads.audience)) {
      return {
        kind: 'workload',
        serviceAccount: sub,
        allowed: workloads.allowedServiceAccounts.includes(sub),
      } satisfies Workload;
    }
    return undefined;
  }

  #remember(token: string, remembered: Remembered): void {
    if (this.#remembered.size >= this.#cacheSize) {
      const oldest = this.#remembered.keys().next();
      if (oldest.done !== true) this.#remembered.delete(oldest.value);
    }
    this.#remembered.set(token, remembered);
  }
}

/** `scope` (a space-separated string, RFC 9068) or `scp` (a list, as some issuers write it). */
function scopesOf(payload: JWTPayload): ReadonlySet<string> | undefined {
  const { scope, scp } = payload as { scope?: unknown; scp?: unknown };
  const scopes = new Set<string>();
  if (scope !== undefined) {
    if (typeof scope !== 'string' || scope.length > MAX_SCOPE_LENGTH) return undefined;
    for (const item of scope.split(' ')) if (item !== '') scopes.add(item);
  }
  if (scp !== undefined) {
    if (!Array.isArray(scp) || scp.length > 256 || !scp.every((item) => typeof item === 'string')) return undefined;
    for (const item of scp as string[]) scopes.add(item);
  }
  return scopes;
}
