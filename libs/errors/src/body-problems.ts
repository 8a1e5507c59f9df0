import { problems } from './catalogue';
import { ProblemError } from './problem-error';

export type BodyProblemKind = 'malformed-json' | 'too-large' | 'unsupported-media-type' | 'empty';

/**
 * The body errors every framework raises in its own words, said once in ours so that the three
 * services answer the same malformed request identically.
 */
export function bodyProblems(kind: BodyProblemKind, limitBytes?: number): ProblemError {
  switch (kind) {
    case 'malformed-json':
      return new ProblemError(problems.malformedJson, 'The request body is not valid JSON.');
    case 'empty':
      return new ProblemError(problems.malformedJson, 'The request body is empty; a JSON document was expected.');
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
