import { LOG_LEVELS } from '@platform/logging';
import { env } from './config';

/**
 * The settings every service shares. A service spreads them into its own spec:
 * `loadConfig({ ...platformSettings({ port: 3001 }), databaseUrl: … })`.
 */
export const platformSettings = (defaults: { readonly port: number }) => ({
  port: env.port('PORT', { default: defaults.port }),
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
});
