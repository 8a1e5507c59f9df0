import { ConfigError } from '@platform/config';
import type { ServiceRuntime } from './runtime';

/**
 * With this variable set to `1` a service's entry point only loads: the image build requires it so
 * to fill V8's compile cache. Otherwise it starts, however it is loaded (`node main.cjs`, or the
 * loader of `nx serve`, under which `require.main` is not the bundle).
 */
export const PRELOAD_ONLY = 'SERVICE_PRELOAD_ONLY';

/** The exit code for a configuration error (EX_CONFIG from sysexits.h). */
export const EXIT_CONFIG = 78;

/**
 * Runs a service's start function as the process entry point: on success it waits for SIGTERM or
 * SIGINT and shuts down gracefully; a configuration error prints one line and exits 78; any other
 * start failure (a migration that fails, a port in use) prints one line and exits 1.
 */
export function runMain(start: () => Promise<ServiceRuntime>): void {
  if (process.env[PRELOAD_ONLY] === '1') return;
  start().then(
    (runtime) => runtime.handleSignals(),
    (error: unknown) => {
      if (error instanceof ConfigError) {
        process.stderr.write(`${error.message}\n`);
        setImmediate(() => process.exit(EXIT_CONFIG));
        return;
      }
      process.stderr.write(`Startup failed: ${describeFailure(error)}\n`);
      // Pools and timers may still hold the event loop open: leave now.
      setImmediate(() => process.exit(1));
    },
  );
}

/** One line about anything thrown: an Error's message, else what it was (never `[object Object]`). */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null) {
    try {
      return JSON.stringify(error) ?? String(error);
    } catch {
      return Object.prototype.toString.call(error);
    }
  }
  return String(error);
}
