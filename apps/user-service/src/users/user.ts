import type { Owner } from '@platform/auth';
import { pageQuery, PrintableText } from '@platform/contracts';
import { problems, ProblemError } from '@platform/errors';
import { type Static, Type } from 'typebox';

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  /** The person whose profile this is. */
  readonly owner: Owner | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const Name = PrintableText({ maxLength: 100, blank: false });
/**
 * The validator's `email` format: the shape browsers accept for `<input type=email>`, at most 254
 * characters, surrounding spaces allowed (they are trimmed, and the email lower-cased, before it
 * is stored: see normalizeEmail).
 */
export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 320 });

export const CreateUserBody = Type.Object({ email: Email, name: Name }, { additionalProperties: false });
export type CreateUserInput = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Object(
  { email: Type.Optional(Email), name: Type.Optional(Name) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserInput = Static<typeof UpdateUserBody>;

export const ListUsersQuery = pageQuery({
  issuer: Type.Optional(
    PrintableText({ maxLength: 1024, description: 'Only users owned through this identity provider.' }),
  ),
  subject: Type.Optional(PrintableText({ maxLength: 255, description: 'Only users owned by this subject.' })),
});
export type ListUsersInput = Static<typeof ListUsersQuery>;

/** Emails are compared and stored trimmed and lower-cased. */
export const normalizeEmail = (valid: string): string => valid.trim().toLowerCase();

export const emailTaken = (email: string) =>
  new ProblemError(problems.emailTaken, `The email ${email} is already used by another user.`);

export const userNotFound = (id: string) => new ProblemError(problems.notFound, `User ${id} does not exist.`);

export const profileTaken = () => new ProblemError(problems.profileExists, 'You already have a user profile.');

export const noProfile = () => new ProblemError(problems.notFound, 'You have no user profile yet.');
