import { type HttpClient, UnreachableError } from '@platform/http-client';
import type { CallContext, UserDirectory } from '../orders/ports';
import { dependencyUnavailable } from './unavailable';

/** The user directory over HTTP: `GET /users/{id}` on user-service. */
export class UserServiceClient implements UserDirectory {
  constructor(private readonly http: HttpClient) {}

  async exists(userId: string, context: CallContext): Promise<boolean> {
    let status: number;
    try {
      ({ status } = await this.http.call({
        method: 'GET',
        path: `/users/${encodeURIComponent(userId)}`,
        route: '/users/:id',
        headers: { 'x-request-id': context.requestId },
        idempotent: true,
      }));
    } catch (error) {
      if (error instanceof UnreachableError) throw dependencyUnavailable(this.http.peer, error);
      throw error;
    }
    if (status === 200) return true;
    if (status === 404) return false;
    throw dependencyUnavailable(this.http.peer, new Error(`user-service answered ${status}`));
  }
}
