import { Authenticator, type AuthenticatorOptions } from '@platform/auth';
import type { Logger } from '@platform/logging';
import type { ConfigOf } from '@platform/config';
import type { identitySettings } from './settings';

export type IdentityConfig = ConfigOf<ReturnType<typeof identitySettings>>;

/** The authenticator of a service's configuration; an issuer whose keys cannot be fetched is logged. */
export function createAuthenticator(
  config: IdentityConfig,
  logger: Logger,
  options: AuthenticatorOptions = {},
): Authenticator {
  return new Authenticator(
    {
      people: { issuer: config.oidcIssuerUrl, audience: config.oidcAudience },
      workloads: {
        issuer: config.workloadIssuerUrl,
        audience: config.workloadAudience,
        allowedServiceAccounts: config.workloadAllowedCallers,
      },
    },
    {
      onFetchFailed: (issuer, error) =>
        logger.warn({ issuer, err: error }, 'the signing keys of an identity provider could not be fetched'),
      ...options,
    },
  );
}
