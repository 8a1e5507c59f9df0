import type { TokenFile } from '@platform/auth';
import { problems, ProblemError } from '@platform/errors';
import { type CallOptions, type HttpClient, type HttpResponse, UnreachableError } from '@platform/http-client';
import type { CallContext } from '../orders/ports';

/** A dependency could not answer usefully: a fast 503 for the client, with Retry-After. */
export const dependencyUnavailable = (peer: string, cause?: unknown) =>
  new ProblemError(problems.dependencyUnavailable, `${peer} is unavailable; try again shortly.`, {
    extensions: { dependency: peer },
    cause,
  });

/**
 * One call to a service order-service depends on, as its workload: its own token and the request's
 * id go with it. A token it cannot read, or a service it cannot reach, is that dependency being
 * unavailable (503); any answer is the caller's to judge.
 */
export async function callAsWorkload<T>(
  http: HttpClient,
  identity: TokenFile,
  context: CallContext,
  call: CallOptions,
): Promise<HttpResponse<T>> {
  let authorization: { authorization: string };
  try {
    authorization = await identity.header();
  } catch (error) {
    throw dependencyUnavailable(http.peer, error);
  }
  try {
    return await http.call<T>({
      ...call,
      headers: { ...call.headers, 'x-request-id': context.requestId, ...authorization },
    });
  } catch (error) {
    if (error instanceof UnreachableError) throw dependencyUnavailable(http.peer, error);
    throw error;
  }
}
