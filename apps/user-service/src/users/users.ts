import { randomUUID } from 'node:crypto';
import type { Page } from '@platform/contracts';
import { isUniqueViolation } from '@platform/persistence';
import {
  type CreateUserInput,
  emailTaken,
  type ListUsersInput,
  normalizeEmail,
  type UpdateUserInput,
  type User,
  userNotFound,
} from './user';
import type { UserRepository } from './user-repository';

/** The user accounts use cases; plain TypeScript, reused by any transport. */
export class Users {
  constructor(
    private readonly repository: UserRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(input: CreateUserInput): Promise<User> {
    const email = normalizeEmail(input.email);
    const timestamp = this.now().toISOString();
    try {
      return await this.repository.insert({
        id: randomUUID(),
        email,
        name: input.name,
        createdAt: timestamp,
        updatedAt: timestamp,
      });
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_key')) throw emailTaken(email);
      throw error;
    }
  }

  async get(id: string): Promise<User> {
    const user = await this.repository.find(id);
    if (user === undefined) throw userNotFound(id);
    return user;
  }

  list(input: ListUsersInput): Promise<Page<User>> {
    return this.repository.list(input.limit, input.cursor);
  }

  async update(id: string, input: UpdateUserInput): Promise<User> {
    const email = input.email === undefined ? undefined : normalizeEmail(input.email);
    try {
      const user = await this.repository.update(id, { email, name: input.name }, this.now().toISOString());
      if (user === undefined) throw userNotFound(id);
      return user;
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_key')) throw emailTaken(email ?? '');
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    if (!(await this.repository.delete(id))) throw userNotFound(id);
  }
}
