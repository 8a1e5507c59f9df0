import { randomUUID } from 'node:crypto';
import { insufficientScope, isAdmin, isOwner, ownerOf, type Principal } from '@platform/auth';
import type { Page } from '@platform/contracts';
import { isUniqueViolation } from '@platform/persistence';
import {
  type CreateUserInput,
  emailTaken,
  type ListUsersInput,
  noProfile,
  normalizeEmail,
  profileTaken,
  type UpdateUserInput,
  type User,
  userNotFound,
} from './user';
import type { UserRepository } from './user-repository';

/**
 * The user accounts use cases; plain TypeScript, reused by any transport. A user is a person's
 * profile: its owner, an administrator and the services allowed to call user-service see it; to
 * anyone else it does not exist (404).
 */
export class Users {
  constructor(
    private readonly repository: UserRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(input: CreateUserInput, caller: Principal): Promise<User> {
    // A profile is a person's: a service has none (403).
    if (caller.kind !== 'person') throw insufficientScope(undefined);
    const email = normalizeEmail(input.email);
    const timestamp = this.now().toISOString();
    try {
      return await this.repository.insert({
        id: randomUUID(),
        email,
        name: input.name,
        owner: ownerOf(caller),
        createdAt: timestamp,
        updatedAt: timestamp,
      });
    } catch (error) {
      if (isUniqueViolation(error, 'users_owner_key')) throw profileTaken();
      if (isUniqueViolation(error, 'users_email_key')) throw emailTaken(email);
      throw error;
    }
  }

  async mine(caller: Principal): Promise<User> {
    const user = caller.kind === 'person' ? await this.repository.findByOwner(ownerOf(caller)) : undefined;
    if (user === undefined) throw noProfile();
    return user;
  }

  async get(id: string, caller: Principal): Promise<User> {
    const user = await this.repository.find(id);
    if (user === undefined || !mayRead(caller, user)) throw userNotFound(id);
    return user;
  }

  /** Everyone's users for an administrator or an allowed service; a person's own profile for anyone else. */
  list(input: ListUsersInput, caller: Principal): Promise<Page<User>> {
    const filter =
      caller.kind === 'workload' || isAdmin(caller)
        ? { issuer: input.issuer, subject: input.subject }
        : { issuer: caller.issuer, subject: caller.subject };
    return this.repository.list(input.limit, input.cursor, filter);
  }

  async update(id: string, input: UpdateUserInput, caller: Principal): Promise<User> {
    await this.#owned(id, caller);
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

  async delete(id: string, caller: Principal): Promise<void> {
    await this.#owned(id, caller);
    if (!(await this.repository.delete(id))) throw userNotFound(id);
  }

  /** The user, if the caller may change it (its owner or an administrator); 404 otherwise. */
  async #owned(id: string, caller: Principal): Promise<User> {
    const user = await this.repository.find(id);
    if (user === undefined || !(isOwner(caller, user.owner) || isAdmin(caller))) throw userNotFound(id);
    return user;
  }
}

/** Its owner, an administrator, or a service allowed to call user-service (authorized already). */
const mayRead = (caller: Principal, user: User): boolean =>
  caller.kind === 'workload' || isOwner(caller, user.owner) || isAdmin(caller);
