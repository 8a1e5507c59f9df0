import { ADMIN_SCOPE } from './principal';

/** The scopes of the platform's API, said once: the operations need them, the issuers grant them. */
export const SCOPES = {
  usersRead: 'users:read',
  usersWrite: 'users:write',
  ordersRead: 'orders:read',
  ordersWrite: 'orders:write',
  admin: ADMIN_SCOPE,
} as const;

/** What a person's token carries by default: their own users and orders. */
export const PERSON_SCOPES: readonly string[] = [
  SCOPES.usersRead,
  SCOPES.usersWrite,
  SCOPES.ordersRead,
  SCOPES.ordersWrite,
];

/** The audience of people's access tokens for the platform's API, unless configured otherwise. */
export const PLATFORM_AUDIENCE = 'platform-api';

/** The Kubernetes name of a service account, as the `sub` of its tokens. */
export const serviceAccountName = (namespace: string, name: string): string =>
  `system:serviceaccount:${namespace}:${name}`;
