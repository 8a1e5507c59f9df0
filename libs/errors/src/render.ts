import { problems } from './catalogue';
import { isProblemError, ProblemError } from './problem-error';
import type { ProblemDocument } from './problem-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export interface RenderedProblem {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ProblemDocument;
  /** True when the error was not a ProblemError: the caller should log it, the client sees nothing of it. */
  readonly unexpected: boolean;
}

const unexpected = new ProblemError(problems.internal, 'An unexpected error occurred. It has been logged.');

/**
 * Turns anything thrown into what the client receives. Framework adapters translate their own
 * errors (body too large, bad JSON…) into ProblemErrors first; whatever is left is unknown and
 * becomes a generic 500 that reveals nothing about it.
 */
export function renderProblem(error: unknown, instance?: string, requestId?: string): RenderedProblem {
  const problem = isProblemError(error) ? error : unexpected;
  const body = problem.toDocument(instance);
  if (requestId !== undefined) body.requestId = requestId;
  return {
    status: problem.status,
    headers: {
      'content-type': PROBLEM_CONTENT_TYPE,
      'cache-control': 'no-store',
      ...(problem.definition.retryAfterSeconds === undefined
        ? {}
        : { 'retry-after': String(problem.definition.retryAfterSeconds) }),
      ...problem.headers,
    },
    body,
    unexpected: problem === unexpected,
  };
}

/** The ProblemError for a request that matched no route. */
export const routeNotFound = (method: string, path: string): ProblemError =>
  new ProblemError(problems.routeNotFound, `No route for ${method} ${path}.`);

/** The ProblemError for a path that exists with other methods (`Allow` lists them). */
export const methodNotAllowed = (method: string, path: string, allowed: readonly string[]): ProblemError =>
  new ProblemError(problems.methodNotAllowed, `${path} has no ${method}; it has ${allowed.join(', ')}.`, {
    headers: { allow: allowed.join(', ') },
  });
