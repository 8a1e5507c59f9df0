/**
 * Redaction of a finished JSON log line, so no path list can forget a field: it runs on the
 * serialized line in pino's `streamWrite` hook, costs two regular-expression scans per line and
 * allocates nothing when there is nothing to hide.
 */

export const REDACTED = '[REDACTED]';
export const REDACTED_CARD = '[REDACTED-PAN]';

/** A run of 13-19 digits, optionally grouped by single spaces or dashes, not inside a longer digit run. */
const CARD_CANDIDATE = /(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])/g;

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
  for (const match of text.matchAll(CARD_CANDIDATE)) {
    if (luhnValid(match[0].replace(/[ -]/g, ''))) return true;
  }
  return false;
}

export function redactCardNumbers(text: string): string {
  if (!/\d{4}/.test(text)) return text;
  return text.replace(CARD_CANDIDATE, (candidate) =>
    luhnValid(candidate.replace(/[ -]/g, '')) ? REDACTED_CARD : candidate,
  );
}

/** Key names whose values are secrets wherever they appear, at any depth. */
export const SECRET_KEY = /(?:password|passwd|secret|token|authorization|cookie|api[-_]?key|credential|database_?url|dsn)/i;

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
