import { problems, ProblemError } from '@platform/errors';

/** The protection space of every service's bearer challenge (RFC 6750 §3). */
export const REALM = 'platform';

const challenge = (attributes: Record<string, string> = {}): Record<string, string> => ({
  'www-authenticate': [
    'Bearer realm="' + REALM + '"',
    ...Object.entries(attributes).map(([k, v]) => `${k}="${v}"`),
  ].join(', '),
});

/** No credentials, or not bearer ones: 401 with a bare challenge (RFC 6750 §3.1). */
export const authenticationRequired = (): ProblemError =>
  new ProblemError(problems.authenticationRequired, 'This request needs a bearer token.', { headers: challenge() });

/**
 * A token that is not valid here: malformed, badly signed, expired, not yet valid, from another
 * issuer or for another audience. Which check failed is never said, to the caller or in the logs.
 */
export const invalidToken = (): ProblemError =>
  new ProblemError(problems.invalidToken, 'The bearer token is not valid.', {
    headers: challenge({ error: 'invalid_token' }),
  });

/** A valid token that does not grant the operation: 403, naming the scopes it needs (if any would do). */
export const insufficientScope = (scopes: readonly string[] | undefined): ProblemError =>
  new ProblemError(problems.insufficientScope, 'The bearer token does not grant this operation.', {
    headers: challenge({ error: 'insufficient_scope', ...(scopes === undefined ? {} : { scope: scopes.join(' ') }) }),
  });

/** The issuer's keys cannot be fetched and none cached fits: the token may be fine, so 503, not 401. */
export const issuerUnavailable = (retryAfterSeconds: number): ProblemError =>
  new ProblemError(problems.dependencyUnavailable, 'The identity provider is unavailable; try again shortly.', {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    extensions: { dependency: 'identity-provider' },
  });
