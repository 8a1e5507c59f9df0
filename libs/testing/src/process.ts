import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * How a built service is started: the image's `CMD` (the image test holds the Dockerfile to it), so
 * the local stack, the resilience suite and the benchmark run services exactly as pods do.
 * `--no-maglev`: V8's mid-tier compiler keeps 15-25 MiB of compilation memory under load on Node 24
 * for about 10 % of throughput (docs/benchmarks). The chart's `nodeJitless: true` adds
 * `--jitless` (JITLESS).
 * No `--enable-source-maps`: it loads the bundle's whole map (30 MiB); add it through
 * NODE_OPTIONS when reading a stack trace matters more.
 */
export const builtServiceArgs = (dir: string): string[] => ['--no-maglev', join(dir, 'main.cjs')];

/**
 * The environment the image sets for a built service (its Dockerfile `ENV`, checked by the image
 * test). MALLOC_ARENA_MAX: glibc gives every thread that allocates (V8's compiler and GC helpers)
 * an arena of its own, which keeps freed memory; two arenas keep a few MiB of RSS off the peak.
 */
export const BUILT_SERVICE_ENV = Object.freeze({ MALLOC_ARENA_MAX: '2' } as const);

/**
 * What the chart adds to NODE_OPTIONS with `nodeJitless: true`, its switch for memory-bound nodes:
 * V8 runs bytecode only, with no compiled code and no compilation memory: 20-25 MiB less peak RSS
 * under load, for 20-40 % fewer requests per CPU (docs/benchmarks). Under it
 * WebAssembly does not exist: nothing shipped may use `fetch` (its HTTP parser is WebAssembly; the
 * services call over node:http), and only a real PostgreSQL will do (the embedded engine is
 * WebAssembly), so tests that start built services on PostgreSQL run with it, so the switch keeps
 * working.
 */
export const JITLESS = '--jitless';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout so far, split into lines. */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the exit code (or the signal name) once the process ends. */
  readonly exited: Promise<number | string>;
  /** The exit code or signal once the process has ended (or failed to start); undefined while it runs. */
  readonly exitStatus: number | string | undefined;
  /** Sends a signal and waits for the exit, killing the process after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

export interface StartOptions extends SpawnOptions {
  /** Called with every output line as it comes (to echo it, prefixed, say). */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** How many of the last lines of each stream to keep; 10000 by default. */
  readonly keepLines?: number;
  /** The node binary; this process's own by default. */
  readonly node?: string;
}

/** The processes started here and still running: killed if this process exits first. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a node process whose output is collected line by line; it is killed if the calling process exits. */
export function startNode(
  args: readonly string[],
  { onLine, keepLines = 10_000, node = process.execPath, ...options }: StartOptions = {},
): RunningProcess {
  const child = spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (into: string[], stream: 'stdout' | 'stderr') => {
    let partial = '';
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine?.(line, stream);
      into.push(...lines);
      if (into.length > keepLines) into.splice(0, into.length - keepLines);
    };
  };
  child.stdout?.on('data', collect(stdout, 'stdout'));
  child.stderr?.on('data', collect(stderr, 'stderr'));
  running.add(child);
  let exitStatus: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
    // The process never started (EACCES, ENOENT): it has exited as far as callers are concerned.
    child.once('error', (error) => {
      running.delete(child);
      stderr.push(`could not start ${node}: ${error.message}`);
      resolve(`spawn error: ${error.message}`);
    });
  }).then((status) => (exitStatus = status));
  return {
    child,
    stdout,
    stderr,
    exited,
    get exitStatus() {
      return exitStatus;
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (exitStatus === undefined) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly status?: number;
  /** Stop waiting (and say why) if this process exits first. */
  readonly process?: RunningProcess;
  /** Time between polls; 100 ms by default. */
  readonly intervalMs?: number;
}

/**
 * How long a test waits for a service process it started to answer ready. Generous on purpose: the
 * wait ends the moment the process answers or exits, and on two busy cores (CI's, or a machine with
 * both cores burning) three services initialising their embedded databases at once took over a minute.
 */
export const SERVICE_READY_TIMEOUT_MS = 180_000;
/** The timeout of a hook that starts services: their ready wait and a minute for the rest of its setup. */
export const STARTUP_HOOK_TIMEOUT_MS = SERVICE_READY_TIMEOUT_MS + 60_000;

/** Polls `url` until it answers `status` (200 by default), or fails after `timeoutMs` (20 s; for a
 * watched process SERVICE_READY_TIMEOUT_MS) or as soon as the watched process exits. */
export async function waitForHttp(
  url: string,
  { timeoutMs, status = 200, process: watched, intervalMs = 100 }: WaitOptions = {},
): Promise<void> {
  const limitMs = timeoutMs ?? (watched === undefined ? 20_000 : SERVICE_READY_TIMEOUT_MS);
  const deadline = Date.now() + limitMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (watched?.exitStatus !== undefined) {
      const output = [...watched.stderr, ...watched.stdout].slice(-15).join('\n');
      throw new Error(`the process exited (${watched.exitStatus}) before ${url} answered:\n${output}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === status) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${url} did not answer ${status} within ${limitMs} ms (last: ${last})`);
}
