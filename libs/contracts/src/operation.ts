import type { Access, Principal } from '@platform/auth';
import type { Static, TObject, TSchema } from 'typebox';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A response header an operation promises. */
export interface HeaderSpec {
  readonly description: string;
  readonly schema?: TSchema;
  /** Present on every response of this status. */
  readonly required?: boolean;
}

export interface ResponseSpec {
  readonly description: string;
  /** The JSON body; none for 204. Problem responses are `problem: true` instead. */
  readonly schema?: TSchema;
  /** An RFC 9457 problem details body (`application/problem+json`). */
  readonly problem?: boolean;
  readonly headers?: Readonly<Record<string, HeaderSpec>>;
}

/**
 * Who may call an operation: anyone (`'public'`), or a caller with a bearer token: people with
 * the scopes listed, and/or the workloads the service allows.
 */
export type SecuritySpec = 'public' | Access;

/**
 * One operation of an HTTP API, said once: the routes of every framework are registered from it,
 * its request parts are validated by its schemas, and the OpenAPI document is generated from it.
 * `path` is in OpenAPI form (`/users/{id}`).
 */
export interface OperationSpec<
  P extends TObject | undefined = TObject | undefined,
  Q extends TObject | undefined = TObject | undefined,
  H extends TObject | undefined = TObject | undefined,
  B extends TSchema | undefined = TSchema | undefined,
> {
  readonly method: HttpMethod;
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly security: SecuritySpec;
  readonly params?: P;
  readonly query?: Q;
  /** Request headers that are part of the contract (names in lower case). */
  readonly headers?: H;
  readonly body?: B;
  /** A body may be omitted (it is validated when present). */
  readonly bodyOptional?: boolean;
  /** The status of success: the framework answers it unless the handler says otherwise. */
  readonly successStatus: number;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

/** The static type of a declared part; `Fallback` when the operation has no such part. */
type StaticOr<S, Fallback> = [NonNullable<S>] extends [never]
  ? Fallback
  : NonNullable<S> extends TSchema
    ? Static<NonNullable<S>>
    : Fallback;

/** The validated parts of a request to `Op`, typed from its schemas, and who sent it. */
export interface Input<Op extends OperationSpec> {
  /** The principal its bearer token proved (undefined for a public operation). */
  readonly caller: Op['security'] extends 'public' ? undefined : Principal;
  readonly params: StaticOr<Op['params'], Record<string, never>>;
  readonly query: StaticOr<Op['query'], Record<string, never>>;
  readonly headers: StaticOr<Op['headers'], Record<string, never>>;
  readonly body: Op['bodyOptional'] extends true
    ? StaticOr<Op['body'], undefined> | undefined
    : StaticOr<Op['body'], undefined>;
}

/** Declares an operation (the identity function, typed). */
export const operation = <
  P extends TObject | undefined = undefined,
  Q extends TObject | undefined = undefined,
  H extends TObject | undefined = undefined,
  B extends TSchema | undefined = undefined,
>(
  spec: OperationSpec<P, Q, H, B>,
): OperationSpec<P, Q, H, B> => spec;

/** `/users/{id}` as Express and Fastify write it: `/users/:id`. */
export const colonPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1');

const RETRY_AFTER: HeaderSpec = { description: 'Seconds to wait before retrying.', required: true };

/** What each problem status means, for every operation that may answer it. */
export const PROBLEM_RESPONSES: Readonly<Record<number, ResponseSpec>> = {
  400: {
    description: 'The request is not valid (`validation-error`, `malformed-json`, `bad-request`).',
    problem: true,
  },
  401: {
    description:
      'No bearer token (`authentication-required`) or not a valid one (`invalid-token`); `WWW-Authenticate` says so (RFC 6750), and nothing more.',
    problem: true,
    headers: { 'www-authenticate': { description: 'The bearer challenge (RFC 6750).', required: true } },
  },
  402: { description: 'The card was declined.', problem: true },
  403: {
    description: 'The token is valid but does not grant this operation (`insufficient-scope`).',
    problem: true,
    headers: { 'www-authenticate': { description: 'The bearer challenge, with the scope needed.', required: true } },
  },
  404: { description: 'No such resource (or not one the caller may see).', problem: true },
  405: {
    description: 'The path exists, the method does not.',
    problem: true,
    headers: { allow: { description: 'The methods the path has.', required: true } },
  },
  409: {
    description: 'The resource is not in a state that allows this; the problem type names the condition.',
    problem: true,
    headers: { 'retry-after': { description: 'When a request with the same idempotency key is still in progress.' } },
  },
  413: { description: 'The body is over 100 kB.', problem: true },
  415: { description: 'A body that is not `application/json` (UTF-8).', problem: true },
  422: {
    description: 'Well-formed, but refers to something that does not exist, or reuses an idempotency key.',
    problem: true,
  },
  500: { description: 'Unexpected; nothing about it is revealed (the details are logged).', problem: true },
  502: { description: 'An upstream provider failed.', problem: true },
  503: {
    description: 'A database, a dependency or the identity provider is unavailable; retry later.',
    problem: true,
    headers: { 'retry-after': RETRY_AFTER },
  },
};

/**
 * The 409 and 503 of an operation that moves money through a payment provider: the outcome of an
 * earlier attempt may not be known yet, and is then never reported as "not charged".
 */
export const MONEY_MOVING_RESPONSES: Readonly<Record<409 | 503, ResponseSpec>> = {
  409: {
    ...(PROBLEM_RESPONSES[409] as ResponseSpec),
    description:
      'Not in a state that allows this (`order-not-pending`, `order-already-paid`, `order-already-cancelled`, `payment-not-refundable`: the type says which); a request with this idempotency key still in progress (`idempotency-key-in-progress`); or an earlier charge of the same order or reference still being settled with the provider (`payment-in-progress`). The last two carry `Retry-After`.',
  },
  503: {
    ...(PROBLEM_RESPONSES[503] as ResponseSpec),
    description:
      'A database or a dependency is unavailable; or the provider was called and the outcome is not known yet (`payment-outcome-unknown`: it may have been charged; the same idempotency key answers the settled outcome). Retry later.',
  },
};

/**
 * Every response an operation may give: its own, and those every operation of the platform may
 * give (400 and 405 for any request; 413 and 415 for any but GET, whose body is never read; 401
 * and 403 with a bearer token; 500, and 503 when the database or a dependency is down).
 */
export function responsesOf(op: OperationSpec): Readonly<Record<number, ResponseSpec>> {
  const common = [
    400,
    405,
    500,
    503,
    ...(op.method === 'get' ? [] : [413, 415]),
    ...(op.security === 'public' ? [] : [401, 403]),
  ];
  return {
    ...Object.fromEntries(common.map((status) => [status, PROBLEM_RESPONSES[status] as ResponseSpec])),
    ...op.responses,
  };
}

/** An operation's own problem responses, by status, with the platform's descriptions. */
export const problemResponses = (...statuses: number[]): Record<number, ResponseSpec> =>
  Object.fromEntries(statuses.map((status) => [status, PROBLEM_RESPONSES[status] as ResponseSpec]));
