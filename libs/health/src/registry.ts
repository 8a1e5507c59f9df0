export type CheckStatus = 'ok' | 'error';

export interface HealthCheck {
  /** Appears as the key under `checks` in the readiness report. */
  readonly name: string;
  /** Resolves when the dependency is usable; rejects (or never settles) when it is not. */
  readonly check: (signal: AbortSignal) => Promise<unknown>;
  /** How long the check may take before it counts as failed. */
  readonly timeoutMs?: number;
}

export interface CheckResult {
  readonly status: CheckStatus;
  readonly durationMs: number;
  /** A short, non-sensitive reason: `timeout` or `failed` (the details go to the log). */
  readonly error?: 'timeout' | 'failed';
}

export interface HealthReport {
  readonly status: CheckStatus;
  readonly checks: Readonly<Record<string, CheckResult>>;
  /** Why the probe failed without running checks: `starting` or `shutting down`. */
  readonly reason?: string;
}

export type HealthProbe = 'live' | 'ready' | 'startup';

export interface HealthRegistryOptions {
  /** Timeout of a check that does not set its own. */
  readonly defaultTimeoutMs?: number;
  /** Told about every failing check, with the real error, so it can be logged. */
  readonly onCheckFailed?: (name: string, error: unknown) => void;
}

const OK: HealthReport = Object.freeze({ status: 'ok', checks: Object.freeze({}) });

class CheckTimeout extends Error {}

/**
 * Liveness, readiness and startup for one process, with no framework in it. Readiness runs every
 * registered check concurrently, each bounded by its own timeout, so a hung dependency fails the
 * probe in bounded time instead of hanging it. Once shutdown begins readiness fails at once, so
 * the load balancer stops sending new traffic while in-flight requests drain.
 */
export class HealthRegistry {
  readonly #checks = new Map<string, HealthCheck>();
  readonly #defaultTimeoutMs: number;
  readonly #onCheckFailed?: (name: string, error: unknown) => void;
  #started = false;
  #shuttingDown = false;

  constructor(options: HealthRegistryOptions = {}) {
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? 2000;
    this.#onCheckFailed = options.onCheckFailed;
  }

  register(check: HealthCheck): this {
    if (this.#checks.has(check.name)) throw new Error(`A health check named "${check.name}" is already registered.`);
    this.#checks.set(check.name, check);
    return this;
  }

  /** Startup is complete (migrations applied, listening): startup and readiness may pass. */
  markStarted(): void {
    this.#started = true;
  }

  /** Shutdown has begun: readiness fails from now on, liveness still passes while draining. */
  markShuttingDown(): void {
    this.#shuttingDown = true;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** The process can serve: the event loop answers. Dependencies never fail liveness. */
  liveness(): HealthReport {
    return OK;
  }

  startup(): HealthReport {
    return this.#started ? OK : { status: 'error', checks: {}, reason: 'starting' };
  }

  async readiness(): Promise<HealthReport> {
    if (this.#shuttingDown) return { status: 'error', checks: {}, reason: 'shutting down' };
    if (!this.#started) return { status: 'error', checks: {}, reason: 'starting' };
    const entries = await Promise.all(
      [...this.#checks.values()].map(async (c) => [c.name, await this.#run(c)] as const),
    );
    const checks = Object.fromEntries(entries);
    // Shutdown may have begun while the checks ran.
    const failed = this.#shuttingDown || entries.some(([, result]) => result.status === 'error');
    return this.#shuttingDown
      ? { status: 'error', checks, reason: 'shutting down' }
      : { status: failed ? 'error' : 'ok', checks };
  }

  probe(kind: HealthProbe): Promise<HealthReport> {
    switch (kind) {
      case 'live':
        return Promise.resolve(this.liveness());
      case 'startup':
        return Promise.resolve(this.startup());
      case 'ready':
        return this.readiness();
    }
  }

  async #run(check: HealthCheck): Promise<CheckResult> {
    const timeoutMs = check.timeoutMs ?? this.#defaultTimeoutMs;
    const controller = new AbortController();
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new CheckTimeout(`health check "${check.name}" timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([Promise.resolve().then(() => check.check(controller.signal)), timeout]);
      return { status: 'ok', durationMs: Math.round(performance.now() - started) };
    } catch (error) {
      this.#onCheckFailed?.(check.name, error);
      return {
        status: 'error',
        durationMs: Math.round(performance.now() - started),
        error: error instanceof CheckTimeout ? 'timeout' : 'failed',
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

export const httpStatusOf = (report: HealthReport): 200 | 503 => (report.status === 'ok' ? 200 : 503);

/** The paths every service answers, relative to the health prefix. */
export const HEALTH_PATHS: Readonly<Record<HealthProbe, string>> = Object.freeze({
  live: '/health/live',
  ready: '/health/ready',
  startup: '/health/startup',
});
