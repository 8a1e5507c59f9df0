import type { AccessOf, Authenticator } from '@platform/auth';
import type { ServiceApi } from '@platform/contracts';

/**
 * What each request needs, from the operation of the API it is for: the one place all three
 * frameworks learn which requests need a bearer token. An API with such operations and no
 * authenticator is a mistake caught when the app is built, not an open door.
 */
export function accessOfApi(api: ServiceApi | undefined, auth: Authenticator | undefined): AccessOf | undefined {
  if (api === undefined) return undefined;
  const guarded = api.operations.filter((op) => op.security !== 'public');
  if (guarded.length === 0) return undefined;
  if (auth === undefined) {
    throw new Error(
      `${guarded.map((op) => op.operationId).join(', ')} need a bearer token: give the platform an authenticator`,
    );
  }
  return (method, path) => {
    const security = api.routes.operation(method, path)?.security;
    return security === undefined || security === 'public' ? undefined : security;
  };
}
