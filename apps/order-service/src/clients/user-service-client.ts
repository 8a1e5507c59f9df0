import type { Owner, TokenFile } from '@platform/auth';
import type { HttpClient, HttpResponse } from '@platform/http-client';
import type { CallContext, UserDirectory } from '../orders/ports';
import { callAsWorkload, dependencyUnavailable } from './unavailable';

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

  #get<T>(context: CallContext, path: string, route: string): Promise<HttpResponse<T>> {
    return callAsWorkload<T>(this.http, this.identity, context, { method: 'GET', path, route, idempotent: true });
  }

  /** Anything else (a refused token included) means user-service cannot answer us now. */
  #unexpected(status: number): Error {
    return dependencyUnavailable(this.http.peer, new Error(`user-service answered ${status}`));
  }
}
