import { type FieldError, problems, ProblemError } from '@platform/errors';
import { containsCardNumber } from '@platform/logging';

/**
 * Finds the first value in a parsed body that looks like a payment card number (13-19 digits,
 * Luhn-valid; the same rule the log redaction uses), returning its dotted path.
 */
export function findCardNumber(value: unknown): string | undefined {
  // Iterative, with the path kept per entry: bodies reach here depth-checked, but nothing below
  // should depend on that.
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop() as [unknown, string];
    if (typeof current === 'string' || typeof current === 'number' || typeof current === 'bigint') {
      if (containsCardNumber(String(current))) return path;
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        const childPath = path === '' ? key : `${path}.${key}`;
        if (containsCardNumber(key)) return path === '' ? '(key)' : `${path}.(key)`;
        stack.push([child, childPath]);
      }
    }
  }
  return undefined;
}

/** Only tokens are accepted: a body carrying a card number is refused before anything keeps it. */
export function rejectCardNumbers(body: unknown): void {
  const field = findCardNumber(body);
  if (field === undefined) return;
  const error: FieldError = {
    in: 'body',
    field,
    message: 'looks like a payment card number; send a provider token instead',
  };
  throw new ProblemError(
    problems.validation,
    'Card numbers are not accepted: send a token from the payment provider.',
    {
      errors: [error],
    },
  );
}
