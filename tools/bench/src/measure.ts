import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcessStats {
  /** User + system CPU seconds used so far. */
  readonly cpuSeconds: number;
  /** Peak resident set size over the process's life (VmHWM), in bytes. */
  readonly peakRssBytes: number;
}

/** CPU time and peak RSS of a process, from /proc (Linux). */
export function processStats(pid: number): ProcessStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, peakRssBytes: peakKb * 1024 };
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  /** How long the load ran. */
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Responses that were not 2xx, plus connection errors and timeouts. */
  readonly failures: number;
  /** Counts of the non-2xx statuses, and of `errors` and `timeouts`, when there were any. */
  readonly failureKinds: Readonly<Record<string, number>>;
}

export interface LoadOptions {
  readonly url: string;
  readonly method?: 'GET' | 'POST' | 'PATCH';
  readonly headers?: Record<string, string>;
  /** Makes each request's body and headers (unique emails, idempotency keys). */
  readonly request?: (n: number) => { body?: string; headers?: Record<string, string> };
  readonly connections: number;
  readonly durationSeconds: number;
}

/** One bounded autocannon run on loopback. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  let n = 0;
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
    headers: options.headers,
    requests:
      options.request === undefined
        ? undefined
        : [
            {
              setupRequest: (req: autocannon.Request) => {
                const made = options.request?.(n++) ?? {};
                return { ...req, body: made.body, headers: { ...req.headers, ...made.headers } };
              },
            },
          ],
  });
  return {
    requestsPerSecond: Math.round(result.requests.total / result.duration),
    seconds: result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
    failureKinds: Object.fromEntries(
      [
        ...Object.entries(result.statusCodeStats ?? {})
          .filter(([code]) => !code.startsWith('2'))
          .map(([code, stats]) => [code, (stats as { count: number }).count]),
        ['errors', result.errors],
        ['timeouts', result.timeouts],
      ].filter(([, count]) => Number(count) > 0),
    ),
  };
}

/** Several runs of the same load as one: requests per second over the whole time, latencies weighted by requests. */
export function combine(results: readonly LoadResult[]): LoadResult {
  const requests = results.reduce((n, r) => n + r.requests, 0);
  const seconds = results.reduce((n, r) => n + r.seconds, 0);
  const weighted = (pick: (r: LoadResult) => number) =>
    requests === 0 ? NaN : results.reduce((n, r) => n + pick(r) * r.requests, 0) / requests;
  const failureKinds: Record<string, number> = {};
  for (const r of results)
    for (const [kind, count] of Object.entries(r.failureKinds)) failureKinds[kind] = (failureKinds[kind] ?? 0) + count;
  return {
    requestsPerSecond: Math.round(requests / seconds),
    seconds,
    p50Ms: Math.round(weighted((r) => r.p50Ms) * 10) / 10,
    p99Ms: Math.round(weighted((r) => r.p99Ms) * 10) / 10,
    requests,
    failures: results.reduce((n, r) => n + r.failures, 0),
    failureKinds,
  };
}
