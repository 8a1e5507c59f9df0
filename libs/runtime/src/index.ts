// The configuration parser lives in a leaf library (@platform/config); services take it from here.
export { ConfigError, env, loadConfig, type ConfigOf, type ConfigSpec, type Setting } from '@platform/config';
export { EXIT_CONFIG, PRELOAD_ONLY, runMain } from './main';
export { ObservedRequest } from './observe';
export { type BackgroundJob, createRuntime, type Repair, ServiceRuntime, type RuntimeOptions } from './runtime';

export { createAuthenticator, type IdentityConfig } from './identity';
export { identitySettings, LOCAL_ISSUER_URL, platformSettings } from './settings';
