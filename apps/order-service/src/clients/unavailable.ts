import { problems, ProblemError } from '@platform/errors';

/** How long clients are told to wait when a dependency is down. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 2;

/** A dependency could not answer usefully: a fast 503 for the client, with Retry-After. */
export const dependencyUnavailable = (peer: string, cause?: unknown) =>
  new ProblemError(problems.dependencyUnavailable, `${peer} is unavailable; try again shortly.`, {
    headers: { 'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
    extensions: { dependency: peer },
    cause,
  });
