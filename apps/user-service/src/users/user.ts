import { pageQuery, PrintableText } from '@platform/contracts';
import { type FieldError, problems, ProblemError } from '@platform/errors';
import { type Static, Type } from '@sinclair/typebox';

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const Name = PrintableText({ maxLength: 100, blank: false });
/** Checked for shape after trimming (see normalizeEmail); the length bound stops abuse early. */
export const Email = Type.String({ minLength: 3, maxLength: 320 });

export const CreateUserBody = Type.Object({ email: Email, name: Name }, { additionalProperties: false });
export type CreateUserInput = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Object(
  { email: Type.Optional(Email), name: Type.Optional(Name) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserInput = Static<typeof UpdateUserBody>;

export const ListUsersQuery = pageQuery();
export type ListUsersInput = Static<typeof ListUsersQuery>;

// One @ between a local part and a dotted domain, no spaces or control characters; the
// pragmatic shape browsers use for <input type=email>, not the whole of RFC 5322.
const EMAIL_SHAPE =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Emails are compared and stored trimmed and lower-cased. */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL_SHAPE.test(email)) {
    const error: FieldError = { in: 'body', field: 'email', message: 'must be a valid email address' };
    throw new ProblemError(problems.validation, 'Invalid request body: email.', { errors: [error] });
  }
  return email;
}

export const emailTaken = (email: string) =>
  new ProblemError(problems.conflict, `The email ${email} is already used by another user.`);

export const userNotFound = (id: string) => new ProblemError(problems.notFound, `User ${id} does not exist.`);
