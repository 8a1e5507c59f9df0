import { type Access, authorize, type Principal } from '@platform/auth';
import type { HttpMethod, OperationSpec, SecuritySpec } from './operation';
import type { OpenApiDocument } from './openapi';

/**
 * The authorization matrix: every operation of an API, called by every kind of caller, on every
 * spelling of its path. The cases and the answer each must get come from the operations alone
 * (their security and paths), so a new operation is covered the day it is declared.
 */

/** What the matrix needs of an operation: an `OperationSpec`, or one read back from an OpenAPI document. */
export type MatrixOperation = Pick<OperationSpec, 'method' | 'path' | 'operationId' | 'security' | 'successStatus'>;

/** The operations of a service as its (committed) OpenAPI document states them, the security schemes read back. */
export function operationsOf(document: OpenApiDocument): MatrixOperation[] {
  const paths = document.paths as Record<
    string,
    Record<string, { operationId: string; security?: Record<string, string[]>[]; responses: Record<string, unknown> }>
  >;
  return Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const schemes = operation.security ?? [];
      const people = schemes.find((s) => 'bearer' in s)?.['bearer'];
      const security: SecuritySpec =
        schemes.length === 0
          ? 'public'
          : {
              ...(people === undefined ? {} : { people }),
              ...(schemes.some((s) => 'workload' in s) ? { workloads: true } : {}),
            };
      const successStatus = Math.min(
        ...Object.keys(operation.responses)
          .map(Number)
          .filter((status) => status < 300),
      );
      return { method: method as HttpMethod, path, operationId: operation.operationId, security, successStatus };
    }),
  );
}

/** The kinds of caller an attacker can be or borrow. */
export const PRINCIPAL_KINDS = ['anonymous', 'expired', 'owner', 'other', 'admin', 'workload', 'stranger'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

/**
 * How a path was spelled: `exact` reaches the operation (the canonical path, with a query string,
 * HEAD for a GET); `foreign` is a path no router has (another case, a trailing or doubled slash):
 * 404 for everyone; `encoded` hides a slash, a dot segment or a parameter in the path, or changes
 * the case of a last word that another operation may take for a parameter: never a success,
 * never a 5xx, and no 403 for a caller without a token.
 */
export type VariantKind = 'exact' | 'foreign' | 'encoded';

export interface PathVariant {
  readonly name: string;
  readonly kind: VariantKind;
  readonly method: string;
  readonly path: string;
}

/** The spellings of one operation's path, its parameters filled in (`path` is concrete). */
export function pathVariants(op: MatrixOperation, path: string): PathVariant[] {
  const method = op.method.toUpperCase();
  const segments = path.split('/').slice(1);
  const literal = op.path
    .split('/')
    .slice(1)
    .map((segment) => !segment.startsWith('{'));
  const spell = (change: (segment: string) => string) =>
    `/${segments.map((segment, i) => (literal[i] ? change(segment) : segment)).join('/')}`;
  const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  const variants: PathVariant[] = [
    { name: 'canonical', kind: 'exact', method, path },
    { name: 'query string', kind: 'exact', method, path: `${path}?limit=5` },
    { name: 'upper case', kind: 'foreign', method, path: spell((s) => s.toUpperCase()) },
    { name: 'mixed case', kind: 'foreign', method, path: spell(capitalised) },
    { name: 'trailing slash', kind: 'foreign', method, path: `${path}/` },
    { name: 'double slash', kind: 'foreign', method, path: `/${path}` },
    { name: 'inner double slash', kind: 'foreign', method, path: path.replace(/\/([^/]*)$/, '//$1') },
    {
      name: '%2F for a slash',
      kind: 'encoded',
      method,
      path: segments.length > 1 ? path.replace(/\/([^/]*)$/, '%2F$1') : `${path}%2F`,
    },
    { name: '%2e%2e segment', kind: 'encoded', method, path: `/${segments[0]}/%2e%2e${path}` },
    { name: ';param', kind: 'encoded', method, path: `${path};matrix=1` },
  ];
  if (segments.length > 1 && literal[segments.length - 1] === true) {
    // `/orders/{id}/CANCEL`, `/users/ME`: the operation's last word in another case (the latter may
    // be read as a parameter of another operation: refused there, never this operation).
    variants.push({
      name: 'last segment upper case',
      kind: 'encoded',
      method,
      path: path.replace(/\/([^/]*)$/, (_m, last: string) => `/${last.toUpperCase()}`),
    });
  }
  if (method === 'GET') variants.push({ name: 'HEAD for GET', kind: 'exact', method: 'HEAD', path });
  return variants;
}

/** What the service knows of its callers, for the answers the matrix expects. */
export interface MatrixPolicy {
  /** Whether the service allows the `workload` principal (its configured callers). */
  readonly allowsWorkload: boolean;
  /**
   * Whether an operation acts on one person's object (its owner and administrators only): another
   * person gets 404, as if it did not exist.
   */
  readonly owned: (op: MatrixOperation) => boolean;
}

const PERSON = (scopes: readonly string[]): Principal => ({
  kind: 'person',
  issuer: 'matrix',
  subject: 'matrix',
  scopes: new Set(scopes),
});

/** The status an `exact` spelling must get: 401, 403, 404, or the operation's success. */
export function expectedStatus(
  op: MatrixOperation,
  principal: PrincipalKind,
  policy: MatrixPolicy,
  scopes: { readonly person: readonly string[]; readonly admin: readonly string[] },
): number {
  if (principal === 'anonymous' || principal === 'expired') return op.security === 'public' ? op.successStatus : 401;
  if (op.security !== 'public') {
    const as: Principal =
      principal === 'workload' || principal === 'stranger'
        ? { kind: 'workload', serviceAccount: principal, allowed: principal === 'workload' && policy.allowsWorkload }
        : PERSON(principal === 'admin' ? scopes.admin : scopes.person);
    try {
      authorize(as, op.security as Access);
    } catch {
      return 403;
    }
  }
  if (principal === 'other' && policy.owned(op)) return 404;
  return op.successStatus;
}

/** One case of the matrix and what it must end in. */
export interface MatrixCase {
  readonly op: MatrixOperation;
  readonly principal: PrincipalKind;
  readonly variant: PathVariant;
  /** The status an exact spelling must get; for the others, the rule of their kind. */
  readonly expected: number | 'not-found' | 'refused';
}

/** The name a failing case is reported by: `cancelOrder × anonymous × upper case`. */
export const caseName = (c: Pick<MatrixCase, 'op' | 'principal' | 'variant'>): string =>
  `${c.op.operationId} × ${c.principal} × ${c.variant.name}`;

/** Whether an answer is what the case must end in; a reason when not. */
export function judge(c: MatrixCase, status: number): string | undefined {
  switch (c.expected) {
    case 'not-found':
      return status === 404 ? undefined : `expected 404, got ${status}`;
    case 'refused':
      return status >= 400 && status < 500 && !(c.principal === 'anonymous' && status === 403)
        ? undefined
        : `expected a 4xx refusal, got ${status}`;
    default:
      return status === c.expected ? undefined : `expected ${c.expected}, got ${status}`;
  }
}

/** Every case of one operation: principals × spellings of `path` (its parameters filled in). */
export function matrixCases(
  op: MatrixOperation,
  path: string,
  policy: MatrixPolicy,
  scopes: { readonly person: readonly string[]; readonly admin: readonly string[] },
): MatrixCase[] {
  return PRINCIPAL_KINDS.flatMap((principal) =>
    pathVariants(op, path).map((variant) => ({
      op,
      principal,
      variant,
      expected:
        variant.kind === 'exact'
          ? expectedStatus(op, principal, policy, scopes)
          : variant.kind === 'foreign'
            ? ('not-found' as const)
            : ('refused' as const),
    })),
  );
}

/** `/orders/{id}/pay` with its parameters. */
export const fillPath = (op: MatrixOperation, params: Readonly<Record<string, string>>): string =>
  op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${op.operationId}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
