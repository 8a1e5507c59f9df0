import { problems, ProblemError } from '@platform/errors';

/**
 * Opaque page cursors over a table's insertion sequence (a `seq` identity column): pages are in
 * creation order and stay stable while rows are added. The cursor is base64url so clients do not
 * build on its contents.
 */
export const encodeCursor = (seq: number): string => Buffer.from(`s${seq}`).toString('base64url');

export function decodeCursor(value: string): number {
  const decoded = /^[A-Za-z0-9_-]{1,40}$/.test(value) ? Buffer.from(value, 'base64url').toString('utf8') : '';
  const match = /^s(\d{1,15})$/.exec(decoded);
  if (match === null) {
    throw new ProblemError(problems.validation, 'The cursor is not one this service issued.', {
      errors: [{ in: 'query', field: 'cursor', message: 'is not a valid cursor' }],
    });
  }
  return Number(match[1]);
}

/** The `nextCursor` of a page fetched with `LIMIT limit + 1`: null on the last page. */
export function nextCursor<T extends { seq: number }>(rows: readonly T[], limit: number): string | null {
  const last = rows[limit - 1];
  return rows.length > limit && last !== undefined ? encodeCursor(last.seq) : null;
}
