import { PLATFORM_AUDIENCE, serviceAccountName } from '@platform/auth';
import { LOG_LEVELS } from '@platform/logging';
import { tracingSettings } from '@platform/tracing';
import { callersOf, serviceEntry, serviceNames } from '@platform/system';
import { env } from '@platform/config';

/**
 * The settings every service shares. A service spreads them into its own spec:
 * `loadConfig({ ...platformSettings('user-service'), databaseUrl: … })`. Its port defaults to its
 * local port in deploy/services.json.
 */
export const platformSettings = (service: string) => ({
  port: env.port('PORT', { default: serviceEntry(service).localPort }),
  /** A port of its own for `GET /metrics` (the chart sets it); unset, only the API port serves it. */
  metricsPort: env.optionalPort('METRICS_PORT'),
  /** The version this process reports in logs, traces and metrics: the image tag in the cluster. */
  version: env.string('SERVICE_VERSION', { default: 'dev', pattern: /^[\w.+-]{1,128}$/ }),
  host: env.string('HOST', { default: '0.0.0.0' }),
  logLevel: env.oneOf('LOG_LEVEL', LOG_LEVELS, { default: 'info' }),
  logFormat: env.oneOf('LOG_FORMAT', ['json', 'pretty'], { default: 'json' }),
  /** The per-request log line and HTTP metrics; off only to measure what they cost (the benchmark). */
  requestTelemetry: env.boolean('REQUEST_TELEMETRY', { default: true }),
  /** How long in-flight requests get to finish after SIGTERM before their connections are cut. */
  drainTimeoutMs: env.milliseconds('SHUTDOWN_DRAIN_TIMEOUT_MS', { default: 10_000 }),
  /** A pause between failing readiness and closing the listener (0 when a preStop hook pauses). */
  shutdownDelayMs: env.milliseconds('SHUTDOWN_DELAY_MS', { default: 0 }),
  /**
   * How long an idle keep-alive connection stays open: longer than the load balancer's idle
   * timeout (60 s on an ALB), so the server never closes a connection the balancer is about to reuse.
   */
  keepAliveTimeoutMs: env.milliseconds('HTTP_KEEP_ALIVE_TIMEOUT_MS', { default: 65_000 }),
  ...tracingSettings(service),
});

/** The local stack's issuer (`npm start`), which services trust when nothing else is configured. */
export const LOCAL_ISSUER_URL = 'http://127.0.0.1:8080/auth';

const SERVICE_ACCOUNT = /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

/**
 * Who a service trusts: people's access tokens from an OpenID Connect issuer, for an audience,
 * and service-account tokens of the cluster's issuer, for an audience naming the service, from
 * the service accounts allowed to call it. Unset, the local stack's issuer stands for both.
 */
/** The service accounts of the services the manifest says call `service` (none for a service it does not list). */
const manifestCallers = (service: string): string[] =>
  serviceNames.includes(service) ? callersOf(service).map((caller) => serviceAccountName(caller, caller)) : [];

export const identitySettings = (service: string) => ({
  /** The issuer of people's tokens; its keys are found at `<it>/.well-known/openid-configuration`. */
  oidcIssuerUrl: env.issuerUrl('OIDC_ISSUER_URL', { default: LOCAL_ISSUER_URL }),
  /** The audience (`aud`) people's tokens must be for. */
  oidcAudience: env.string('OIDC_AUDIENCE', { default: PLATFORM_AUDIENCE, pattern: /^[\x21-\x7e]{1,255}$/ }),
  /** The cluster's service-account issuer (on EKS, the cluster's OIDC issuer URL). */
  workloadIssuerUrl: env.issuerUrl('WORKLOAD_ISSUER_URL', { default: LOCAL_ISSUER_URL }),
  /** The audience other services' tokens must be for: this service's name. */
  workloadAudience: env.string('WORKLOAD_AUDIENCE', { default: service, pattern: /^[\x21-\x7e]{1,255}$/ }),
  /**
   * The service accounts that may call this service (`system:serviceaccount:<namespace>:<name>`):
   * by default, those of the services deploy/services.json says call it, as its chart allows them.
   */
  workloadAllowedCallers: env.list('WORKLOAD_ALLOWED_CALLERS', {
    default: manifestCallers(service),
    pattern: SERVICE_ACCOUNT,
  }),
});
