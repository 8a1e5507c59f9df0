/**
 * Every error a service can answer with, declared once: a stable code (the last segment of the
 * problem `type` URI), the HTTP status and a short human title. Services raise them with
 * `new ProblemError(problems.x, detail)`; each framework adapter renders them as RFC 9457
 * problem details. `docs/errors.md` documents every entry (a test keeps the two in step).
 */
export interface ProblemDefinition {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  /**
   * When to try again, for a condition that passes by itself: rendered as `Retry-After` (a
   * problem raised with its own `retry-after` header keeps that one). The domain says which
   * condition it is; the renderer says how HTTP tells it.
   */
  readonly retryAfterSeconds?: number;
}

const define = <T extends Record<string, ProblemDefinition>>(catalogue: T): Readonly<T> => Object.freeze(catalogue);

export const problems = define({
  validation: { code: 'validation-error', status: 400, title: 'Request validation failed' },
  malformedJson: { code: 'malformed-json', status: 400, title: 'Malformed JSON body' },
  badRequest: { code: 'bad-request', status: 400, title: 'Bad request' },
  authenticationRequired: { code: 'authentication-required', status: 401, title: 'Authentication required' },
  invalidToken: { code: 'invalid-token', status: 401, title: 'Invalid token' },
  paymentDeclined: { code: 'payment-declined', status: 402, title: 'Payment declined' },
  insufficientScope: { code: 'insufficient-scope', status: 403, title: 'Insufficient scope' },
  notFound: { code: 'not-found', status: 404, title: 'Resource not found' },
  routeNotFound: { code: 'route-not-found', status: 404, title: 'No such route' },
  methodNotAllowed: { code: 'method-not-allowed', status: 405, title: 'Method not allowed' },
  // Conflicts with the current state, one entry per condition, so clients match the type, not a text.
  emailTaken: { code: 'email-taken', status: 409, title: 'The email is already used by another user' },
  profileExists: { code: 'profile-exists', status: 409, title: 'The caller already has a user profile' },
  orderNotPending: { code: 'order-not-pending', status: 409, title: 'The order is no longer pending' },
  orderAlreadyPaid: { code: 'order-already-paid', status: 409, title: 'The order is already paid' },
  orderAlreadyCancelled: { code: 'order-already-cancelled', status: 409, title: 'The order is already cancelled' },
  paymentNotRefundable: { code: 'payment-not-refundable', status: 409, title: 'The payment cannot be refunded' },
  idempotencyInProgress: {
    code: 'idempotency-key-in-progress',
    status: 409,
    title: 'A request with this idempotency key is still in progress',
    retryAfterSeconds: 1,
  },
  paymentInProgress: {
    code: 'payment-in-progress',
    status: 409,
    title: 'Another payment of this reference is still in progress',
    retryAfterSeconds: 2,
  },
  payloadTooLarge: { code: 'payload-too-large', status: 413, title: 'Request body too large' },
  unsupportedMediaType: { code: 'unsupported-media-type', status: 415, title: 'Unsupported media type' },
  headersTooLarge: { code: 'headers-too-large', status: 431, title: 'Request headers too large' },
  unprocessable: { code: 'unprocessable', status: 422, title: 'The request cannot be processed' },
  idempotencyKeyReused: {
    code: 'idempotency-key-reused',
    status: 422,
    title: 'Idempotency key reused with a different request',
  },
  internal: { code: 'internal-error', status: 500, title: 'Internal server error' },
  badGateway: { code: 'bad-gateway', status: 502, title: 'An upstream provider failed' },
  serviceUnavailable: { code: 'service-unavailable', status: 503, title: 'Service temporarily unavailable' },
  dependencyUnavailable: {
    code: 'dependency-unavailable',
    status: 503,
    title: 'A dependency is unavailable',
    retryAfterSeconds: 2,
  },
  paymentOutcomeUnknown: {
    code: 'payment-outcome-unknown',
    status: 503,
    title: 'The outcome of the payment is not known yet',
    retryAfterSeconds: 2,
  },
});

export type ProblemCode = (typeof problems)[keyof typeof problems]['code'];

/** The namespace of every problem `type`: a URN, so it never pretends to be a fetchable page. */
export const PROBLEM_TYPE_PREFIX = 'urn:problem-type:';

export const problemType = (definition: ProblemDefinition): string => PROBLEM_TYPE_PREFIX + definition.code;
