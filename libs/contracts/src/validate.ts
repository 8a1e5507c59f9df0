import { authenticationRequired, type Principal } from '@platform/auth';
import { bodyProblems } from '@platform/errors';
import { validator } from '@platform/validation';
import type { Input, OperationSpec } from './operation';

/** The parts of a request as a framework hands them over, before validation. */
export interface RawRequest {
  readonly params?: Readonly<Record<string, string | string[] | undefined>>;
  readonly query?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed body; undefined when the request had none (or an empty one). */
  readonly body?: unknown;
  /** Who the request's bearer token proved it is from. */
  readonly caller?: Principal;
}

/**
 * Who calls `op`: the principal its route admitted. An operation that is not public never runs
 * without one: were its route's check ever missing, the request is refused here (401) rather than
 * reaching the domain with no caller.
 */
export function callerFor<Op extends OperationSpec>(op: Op, principal: Principal | undefined): Input<Op>['caller'] {
  if (op.security !== 'public' && principal === undefined) throw authenticationRequired();
  return principal as Input<Op>['caller'];
}

/** A request that needed a body and came without one (or with an empty one). */
export const bodyRequired = () => bodyProblems('empty');

/**
 * Compiles the validation of an operation's request once: path, body, query, then headers (the
 * order Fastify validates in, so all three frameworks name the same first fault). Returns the
 * typed parts, with defaults applied; throws the 400 validation problem that names every bad field
 * of the first bad part.
 */
export function requestValidator<Op extends OperationSpec>(op: Op): (raw: RawRequest) => Input<Op> {
  const params = op.params === undefined ? undefined : validator(op.params, 'path');
  const query = op.query === undefined ? undefined : validator(op.query, 'query');
  const headers = op.headers === undefined ? undefined : validator(op.headers, 'header');
  const body = op.body === undefined ? undefined : validator(op.body, 'body');
  const headerNames = op.headers === undefined ? [] : Object.keys(op.headers.properties);
  return (raw) => {
    // Copies: validation fills defaults and coerces parameters in place.
    const input = {
      params: params?.({ ...raw.params }) ?? {},
      body: undefined as unknown,
      query: {} as unknown,
      headers: {} as unknown,
      caller: callerFor(op, raw.caller),
    };
    if (body !== undefined) {
      if (raw.body === undefined) {
        if (op.bodyOptional !== true) throw bodyRequired();
      } else {
        input.body = body(raw.body);
      }
    }
    input.query = query?.({ ...raw.query }) ?? {};
    if (headers !== undefined) {
      const picked: Record<string, string> = {};
      for (const name of headerNames) {
        const value = raw.headers?.[name];
        if (value !== undefined) picked[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      input.headers = headers(picked);
    }
    return input as Input<Op>;
  };
}
