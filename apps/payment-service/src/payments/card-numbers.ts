import { type FieldError, problems, ProblemError } from '@platform/errors';
import { containsCardNumber } from '@platform/logging';

/**
 * Finds the first value in a parsed body that looks like a payment card number (13-19 digits,
 * Luhn-valid; the same rule the log redaction uses), returning its dotted path.
 */
export function findCardNumber(value: unknown, path: string[] = []): string | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
    return containsCardNumber(String(value)) ? path.join('.') : undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (containsCardNumber(key)) return [...path, '(key)'].join('.');
      const found = findCardNumber(child, [...path, key]);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Only tokens are accepted: a body carrying a card number is refused before anything keeps it. */
export function rejectCardNumbers(body: unknown): void {
  const field = findCardNumber(body);
  if (field === undefined) return;
  const error: FieldError = { in: 'body', field, message: 'looks like a payment card number; send a provider token instead' };
  throw new ProblemError(problems.validation, 'Card numbers are not accepted: send a token from the payment provider.', {
    errors: [error],
  });
}
