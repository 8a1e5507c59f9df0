import { type Static, type TSchema, Type } from 'typebox';

/**
 * The pieces every API of the platform is made of, said once: the three services, the generator's
 * template and the OpenAPI documents all take them from here.
 */

/**
 * An id: a UUID in its canonical form, 8-4-4-4-12 hex digits (upper case is accepted and stored
 * lower case). The validator's `uuid` format is strict: no `urn:uuid:` prefix, no braces.
 */
export const Uuid = (options: { description?: string } = {}) =>
  Type.String({ format: 'uuid', examples: ['0b6f3c1e-7a4e-4c8e-9d52-3f1f0f0e2a11'], ...options });

/** `{id}` in a path. */
export const IdParams = Type.Object({ id: Uuid() }, { additionalProperties: false });
export type IdParams = Static<typeof IdParams>;

/**
 * Characters a person can read: no C0 or C1 control characters (null bytes, newlines, terminal
 * escapes such as U+009B), no DEL.
 */
const PRINTABLE_CHAR = '[^\\u0000-\\u001f\\u007f-\\u009f]';

/** Printable text (see PRINTABLE_CHAR); `blank: false` also refuses text made only of spaces. */
export const PrintableText = (options: {
  minLength?: number;
  maxLength: number;
  blank?: boolean;
  description?: string;
}) =>
  Type.String({
    minLength: options.minLength ?? 1,
    maxLength: options.maxLength,
    pattern:
      options.blank === false
        ? `^${PRINTABLE_CHAR}*[^\\s\\u0000-\\u001f\\u007f-\\u009f]${PRINTABLE_CHAR}*$`
        : `^${PRINTABLE_CHAR}*$`,
    ...(options.description === undefined ? {} : { description: options.description }),
  });

/**
 * Whose a resource is: the person who created it, by their identity provider (`iss`) and their
 * subject there (`sub`). Null for a resource made before owners were recorded (administrators only).
 */
export const Owner = Type.Union(
  [
    Type.Object(
      { issuer: Type.String({ maxLength: 2048 }), subject: Type.String({ maxLength: 255 }) },
      { additionalProperties: false },
    ),
    Type.Null(),
  ],
  { $id: 'Owner' },
);

/** An opaque page cursor, as a list answered it in `nextCursor`. */
export const Cursor = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' });

/** `limit` and `cursor` of every list; more filters are spread in beside them. */
export const pageQuery = <F extends Record<string, TSchema> = Record<never, never>>(filters: F = {} as F) =>
  Type.Object(
    {
      ...filters,
      limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Items per page, 1 to 100.' }),
      cursor: Type.Optional(Cursor),
    },
    { additionalProperties: false },
  );

/** A page of a list, in creation order; `nextCursor` is null on the last page. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object(
    { items: Type.Array(item), nextCursor: Type.Union([Cursor, Type.Null()]) },
    { additionalProperties: false },
  );

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** An ISO 8601 UTC timestamp with milliseconds. */
export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-11-27T12:00:00.000Z'] });

/** The `Idempotency-Key` of a write that must happen once: 1-255 printable ASCII characters. */
export const IdempotencyKey = Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\u0020-\\u007e]+$' });

/** One entry of a validation problem's `errors`. */
export const FieldErrorSchema = Type.Object(
  {
    in: Type.Union([Type.Literal('body'), Type.Literal('query'), Type.Literal('path'), Type.Literal('header')]),
    field: Type.String(),
    message: Type.String(),
  },
  { additionalProperties: false },
);

/**
 * RFC 9457 problem details as every service sends them (`application/problem+json`): `type` is a
 * stable URN, `requestId` matches the `x-request-id` header, `errors` comes with validation errors
 * only, and some problems add members of their own (`paymentId`, `orderStatus`, `dependency`…).
 */
export const ProblemDetails = Type.Object(
  {
    type: Type.String({ pattern: '^urn:problem-type:[a-z]+(-[a-z]+)*$' }),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
  },
  { additionalProperties: true, $id: 'ProblemDetails' },
);
