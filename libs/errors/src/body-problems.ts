import { problems } from './catalogue';
import { ProblemError } from './problem-error';

export type BodyProblemKind = 'malformed-json' | 'too-large' | 'unsupported-media-type' | 'empty';

/**
 * The body errors every framework raises in its own words, said once in ours so that the three
 * services answer the same malformed request identically. A missing or empty body where one is
 * required (`empty`) is a validation error of the whole body.
 */
export function bodyProblems(kind: BodyProblemKind, limitBytes?: number): ProblemError {
  switch (kind) {
    case 'malformed-json':
      return new ProblemError(problems.malformedJson, 'The request body is not valid JSON.');
    case 'empty':
      return new ProblemError(problems.validation, 'Invalid request body: a JSON body is required.', {
        errors: [{ in: 'body', field: '', message: 'is required' }],
      });
    case 'too-large':
      return new ProblemError(
        problems.payloadTooLarge,
        limitBytes === undefined ? 'The request body is too large.' : `The request body exceeds ${limitBytes} bytes.`,
      );
    case 'unsupported-media-type':
      return new ProblemError(
        problems.unsupportedMediaType,
        'The request body must be JSON, sent with Content-Type: application/json.',
      );
  }
}

/** How deeply a JSON body may nest: far beyond any real request, far below what recursion can take. */
export const MAX_JSON_DEPTH = 32;

/**
 * Refuses a parsed JSON body nested deeper than `maxDepth` (400), before any code walks it:
 * a 5,000-level array is valid JSON, and a recursive walk over it is a denial of service.
 * Iterative, so it is safe on any input.
 */
export function assertJsonDepth(value: unknown, maxDepth = MAX_JSON_DEPTH): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth >= maxDepth) {
      throw new ProblemError(problems.validation, `The JSON body is nested more than ${maxDepth} levels deep.`, {
        errors: [{ in: 'body', field: '', message: `must not nest more than ${maxDepth} levels` }],
      });
    }
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
}
