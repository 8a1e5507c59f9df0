/**
 * Redaction of a finished JSON log line, so no path list can forget a field: it runs on the
 * serialized line in pino's `streamWrite` hook, costs two regular-expression scans per line and
 * allocates nothing when there is nothing to hide.
 */

export const REDACTED = '[REDACTED]';
export const REDACTED_CARD = '[REDACTED-PAN]';

/**
 * A run of 13-19 digits, optionally grouped by single spaces or dashes, not inside a longer digit
 * run; or a UUID, which is matched only to be left alone (its digit groups can look like a
 * grouped card number, and ids are everywhere in logs and references).
 */
const UUID_OR_CARD =
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/gi;
const UUID_LENGTH = 36;

const isCard = (match: string): boolean =>
  !(match.length === UUID_LENGTH && match[8] === '-') && luhnValid(match.replace(/[ -]/g, ''));

/** True for a digit string that passes the Luhn checksum, as every payment card number does. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Whether a string contains something that looks like a payment card number (PAN). */
export function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(UUID_OR_CARD)) {
    if (isCard(match[0])) return true;
  }
  return false;
}

export function redactCardNumbers(text: string): string {
  if (!/\d{4}/.test(text)) return text;
  return text.replace(UUID_OR_CARD, (match) => (isCard(match) ? REDACTED_CARD : match));
}

/** Key names whose values are secrets wherever they appear, at any depth. */
export const SECRET_KEY =
  /(?:password|passwd|secret|token|authorization|cookie|api[-_]?key|credential|database_?url|dsn)/i;

const JSON_STRING = String.raw`"(?:[^"\\]|\\.)*"`;
const JSON_SCALAR = String.raw`(?:${JSON_STRING}|-?\d[\d.eE+-]*|true|false)`;
const SECRET_MEMBER = new RegExp(
  String.raw`"([^"\\]*${SECRET_KEY.source}[^"\\]*)":(${JSON_SCALAR}|\[(?:\s*${JSON_SCALAR}\s*,?)*\])`,
  'gi',
);

/** Hides the values of secret-named members (`"password":"…"`) in a JSON text. */
export function redactSecretMembers(json: string): string {
  return json.replace(SECRET_MEMBER, (_match, key: string) => `"${key}":"${REDACTED}"`);
}

/** Both redactions, for one serialized log line. */
export const redactLine = (line: string): string => redactCardNumbers(redactSecretMembers(line));
