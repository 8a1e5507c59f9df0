/**
 * Redaction of a finished JSON log line, so no path list can forget a field: it runs on the
 * serialized line in pino's `streamWrite` hook. A line with nothing to hide (nearly every line)
 * costs one case-insensitive search for a secret-like key and one pass over its characters
 * looking for a long run of digits, and allocates nothing; the full scans run only when one of
 * those finds something.
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

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/**
 * Trace ids (32 hex digits) and span ids (16), which every traced log line carries, often hold a
 * long run of decimal digits: a match inside a hex token of exactly that length is part of an id.
 */
function insideTraceId(text: string, start: number, end: number): boolean {
  let from = start;
  let to = end;
  while (from > 0 && isHex(text.charCodeAt(from - 1))) from--;
  while (to < text.length && isHex(text.charCodeAt(to))) to++;
  return (to - from === 32 || to - from === 16) && (from < start || to > end);
}

/** Whether the text has 13 or more digits in a row (single spaces or dashes between them allowed). */
function hasLongDigitRun(text: string): boolean {
  let digits = 0;
  let afterSeparator = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits >= 13) return true;
      afterSeparator = false;
    } else if ((c === 32 || c === 45) && digits > 0 && !afterSeparator) {
      afterSeparator = true;
    } else {
      digits = 0;
      afterSeparator = false;
    }
  }
  return false;
}

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
  if (!hasLongDigitRun(text)) return false;
  for (const match of text.matchAll(UUID_OR_CARD)) {
    if (isCard(match[0]) && !insideTraceId(text, match.index, match.index + match[0].length)) return true;
  }
  return false;
}

export function redactCardNumbers(text: string): string {
  if (!hasLongDigitRun(text)) return text;
  return text.replace(UUID_OR_CARD, (match: string, offset: number) =>
    isCard(match) && !insideTraceId(text, offset, offset + match.length) ? REDACTED_CARD : match,
  );
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
  if (!SECRET_KEY.test(json)) return json;
  return json.replace(SECRET_MEMBER, (_match, key: string) => `"${key}":"${REDACTED}"`);
}

/** Both redactions, for one serialized log line. */
export const redactLine = (line: string): string => redactCardNumbers(redactSecretMembers(line));
