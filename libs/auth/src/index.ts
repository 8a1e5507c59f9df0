export { accessCheckOf, admit, authorizationOf, authorize, markAccessCheck, type Access } from './access';
export {
  ALGORITHMS,
  Authenticator,
  CLOCK_SKEW_SECONDS,
  MAX_TOKEN_LENGTH,
  type AuthenticatorConfig,
  type AuthenticatorOptions,
  type PeopleTrust,
  type WorkloadTrust,
} from './authenticator';
export { authenticationRequired, insufficientScope, invalidToken, issuerUnavailable, REALM } from './challenge';
export { IssuerKeys, IssuerUnavailableError, type IssuerKeysOptions } from './issuer-keys';
export {
  ADMIN_SCOPE,
  isAdmin,
  isOwner,
  ownerOf,
  principalName,
  principalOf,
  setPrincipal,
  type Owner,
  type Person,
  type Principal,
  type Workload,
} from './principal';
export { PERSON_SCOPES, PLATFORM_AUDIENCE, SCOPES, serviceAccountName } from './scopes';
export { TokenFile } from './token-file';
