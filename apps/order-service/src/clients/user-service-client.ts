import type { Owner, TokenFile } from '@platform/auth';
import { type HttpClient, type HttpResponse, UnreachableError } from '@platform/http-client';
import type { CallContext, UserDirectory } from '../orders/ports';
import { dependencyUnavailable } from './unavailable';

interface UserBody {
  readonly id: string;
  readonly owner: Owner | null;
}

/** The user directory over HTTP on user-service, as order-service's workload (its own token). */
export class UserServiceClient implements UserDirectory {
  constructor(
    private readonly http: HttpClient,
    private readonly identity: TokenFile,
  ) {}

  async ownerOf(userId: string, context: CallContext): Promise<Owner | null | undefined> {
    const res = await this.#get<UserBody>(context, `/users/${encodeURIComponent(userId)}`, '/users/:id');
    if (res.status === 200) return res.body.owner;
    if (res.status === 404) return undefined;
    throw this.#unexpected(res.status);
  }

  async profileOf(owner: Owner, context: CallContext): Promise<string | undefined> {
    const query = new URLSearchParams({ issuer: owner.issuer, subject: owner.subject, limit: '1' });
    const res = await this.#get<{ items: UserBody[] }>(context, `/users?${query}`, '/users');
    if (res.status !== 200) throw this.#unexpected(res.status);
    return res.body.items[0]?.id;
  }

  async #get<T>(context: CallContext, path: string, route: string): Promise<HttpResponse<T>> {
    let identity: { authorization: string };
    try {
      identity = await this.identity.header();
    } catch (error) {
      throw dependencyUnavailable(this.http.peer, error);
    }
    try {
      return await this.http.call<T>({
        method: 'GET',
        path,
        route,
        headers: { 'x-request-id': context.requestId, ...identity },
        idempotent: true,
      });
    } catch (error) {
      if (error instanceof UnreachableError) throw dependencyUnavailable(this.http.peer, error);
      throw error;
    }
  }

  /** Anything else (a refused token included) means user-service cannot answer us now. */
  #unexpected(status: number): Error {
    return dependencyUnavailable(this.http.peer, new Error(`user-service answered ${status}`));
  }
}
