import type { AuthCost } from './auth-cost';
import type { ChartBudget } from './budget';
import type { LoadResult } from './measure';

export const BENCHED = ['user-service', 'order-service', 'payment-service'] as const;
export type ServiceName = (typeof BENCHED)[number];

/**
 * The stacks the benchmark runs: all telemetry off, one kind on at a time, production, production
 * with V8's compilers (the chart's `nodeJitless: false`), and the collector down.
 */
export type Mode = 'off' | 'metrics' | 'logs' | 'tracing' | 'production' | 'production-jit' | 'otlp-down';

/** A read load, with the service's CPU time per request over it (interleaved modes only). */
export type ReadResult = LoadResult & { readonly cpuMicrosecondsPerRequest?: number };

export interface ServiceRuns {
  /** The main read endpoint per mode; off to production were interleaved. */
  reads: Partial<Record<Mode, ReadResult>>;
  /** Production: the write path, and both through the edge. */
  write?: LoadResult;
  readEdge?: LoadResult;
  writeEdge?: LoadResult;
  /** VmHWM over the production stack's whole run (reads, writes, edge). */
  peakRssBytes?: number;
  /** VmHWM after the interleaved reads, in production and production-jit: the JIT's memory. */
  peakRssReadsBytes?: { production: number; jit: number };
  /** VmHWM with the collector down and every trace sampled. */
  peakRssOtlpDownBytes?: number;
  /** CPU from exec to ready, the service alone on a migrated database (mean of several starts). */
  coldStart?: { withoutCacheCpuSeconds: number; imageCpuSeconds: number };
  /** The same, measured when the production stack started (all services at once, databases new). */
  coldStartInStackCpuSeconds?: number;
}

export interface BenchReport {
  date: string;
  machine: { cpus: number; cpuModel: string; node: string };
  settings: {
    connections: number;
    segmentSeconds: number;
    rounds: number;
    coldStarts: number;
    nodeArgs: string;
    database: string;
  };
  frameworks: Record<ServiceName, 'express' | 'nest' | 'fastify'>;
  budgets: Record<ServiceName, ChartBudget>;
  auth?: AuthCost;
  baselines: Record<string, { load: LoadResult; coldStartCpuSeconds: number; peakRssBytes: number }>;
  runs: Record<ServiceName, ServiceRuns>;
  exitCodes: Record<string, Record<string, number | string>>;
  otlpBatchesReceived: number;
  wallSeconds: number;
}

/** The targets the platform commits to. Never loosened: a miss is reported. */
export const TARGETS = {
  telemetryKeepsAtLeast: 0.75,
  peakRssMiB: 110,
  coldStartCpuSeconds: 0.5,
  authenticationCostsAtMost: 0.05,
};

const MiB = 1024 * 1024;
const pct = (ratio: number) => `${Math.round(ratio * 100)} %`;
const verdict = (ok: boolean) => (ok ? 'met' : '**MISSED**');
const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits));
const ENDPOINT: Record<ServiceName, [string, string]> = {
  'user-service': ['GET /users/:id', 'PATCH /users/:id'],
  'order-service': ['GET /orders/:id', 'POST /orders'],
  'payment-service': ['GET /payments/:id', 'POST /payments'],
};

/** The share of the all-off read throughput that a mode keeps. */
export const keeps = (runs: ServiceRuns, mode: Mode): number =>
  (runs.reads[mode]?.requestsPerSecond ?? NaN) / (runs.reads.off?.requestsPerSecond ?? NaN);

export const peakMiB = (runs: ServiceRuns): number =>
  Math.max(runs.peakRssBytes ?? NaN, runs.peakRssOtlpDownBytes ?? NaN) / MiB;

/** A Markdown table: the header's cells, then one row of cells each. */
const table = (header: readonly string[], rows: readonly (readonly string[])[]): string[] => [
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---|').join('')}`,
  ...rows.map((cells) => `| ${cells.join(' | ')} |`),
];

export function renderReport(report: BenchReport): string {
  const out: string[] = [];
  const { settings } = report;
  out.push('# Benchmark results', '');
  out.push(
    `${report.date.slice(0, 10)} · ${report.machine.cpus} × ${report.machine.cpuModel} · **Node.js ${report.machine.node}** (the image's) · ` +
      `services started as the image starts them (\`node ${settings.nodeArgs} main.cjs\`, each with its chart's \`NODE_OPTIONS\`) on ${settings.database} · ` +
      `${settings.connections} connections (autocannon, loopback) · whole run ${report.wallSeconds} s. ` +
      'Produced by `npm run bench`; raw numbers in [results.json](results.json).',
    '',
  );

  out.push('## Targets', '');
  out.push(
    '| service | telemetry keeps (target ≥ 75 %) | peak RSS, production / OTLP down (target < 110 MiB) | cold start as the image runs it (target ≤ 0.5 CPU-s) |',
  );
  out.push('|---|---|---|---|');
  for (const service of BENCHED) {
    const runs = report.runs[service];
    const kept = keeps(runs, 'production');
    const prod = (runs.peakRssBytes ?? NaN) / MiB;
    const down = (runs.peakRssOtlpDownBytes ?? NaN) / MiB;
    const cold = runs.coldStart?.imageCpuSeconds ?? NaN;
    out.push(
      `| ${service} | ${pct(kept)} (${runs.reads.production?.requestsPerSecond} vs ${runs.reads.off?.requestsPerSecond} req/s): ${verdict(kept >= TARGETS.telemetryKeepsAtLeast)} ` +
        `| ${fmt(prod)} / ${fmt(down)} MiB: ${verdict(Math.max(prod, down) < TARGETS.peakRssMiB)} ` +
        `| ${fmt(cold, 2)} s: ${verdict(cold <= TARGETS.coldStartCpuSeconds)} |`,
    );
  }
  out.push(
    '',
    `"Telemetry keeps": requests per second of the main read endpoint with production defaults (request logs at info, metrics, tracing with the chart's sampler \`parentbased_traceidratio\` 0.1 exporting to a local OTLP sink) over the same service with all of it off (\`LOG_LEVEL=silent\`, \`REQUEST_TELEMETRY=false\`, no OTLP endpoint). The stacks run side by side and take turns: ${settings.rounds} rounds of ${settings.segmentSeconds} s each, the order rotating every round. ` +
      "Peak RSS is VmHWM over the production stack's whole run (reads, writes, both through the edge) and over a run with the OTLP endpoint down and every trace sampled. " +
      `Cold start is user+system CPU from exec until \`/health/ready\` first answers 200, the service alone on its migrated database with production settings, the mean of ${settings.coldStarts} starts with the compile cache the image build makes.`,
    '',
  );

  if (report.auth !== undefined) {
    const { auth } = report;
    out.push('## Authentication', '');
    out.push(
      '| service | CPU per read request, production | token check per request (cached) | share (target ≤ 5 %) | a token’s first use |',
    );
    out.push('|---|---|---|---|---|');
    for (const service of BENCHED) {
      const perRequest = report.runs[service].reads.production?.cpuMicrosecondsPerRequest ?? NaN;
      const share = auth.cachedMicroseconds / perRequest;
      out.push(
        `| ${service} | ${fmt(perRequest)} µs | ${fmt(auth.cachedMicroseconds, 2)} µs | ${fmt(share * 100, 2)} %: ${verdict(share <= TARGETS.authenticationCostsAtMost)} | ${fmt(auth.firstUseMicroseconds)} µs |`,
      );
    }
    out.push(
      '',
      "Every read above carried a real bearer token (the owner's, or order-service's for payments) from the stack's issuer. " +
        'What checking it costs is measured in process on this Node.js against a real issuer: `authenticate` and `authorize` for a token seen before (the verified-token cache: every request of a client but its first), and for a token seen for the first time (an RS256 signature check). ' +
        "The share is that cost over the service's own CPU time per production read request, measured under the load above; a service that is CPU-bound, as these are under this load, loses that share of its requests per second.",
      '',
    );
  }

  out.push('## Memory budget', '');
  out.push('What each pod is given (its chart, production values) beside what it used.', '');
  out.push(
    ...table(
      ['service', 'memory limit', 'NODE_OPTIONS', 'peak RSS', 'headroom under the limit'],
      BENCHED.map((service) => {
        const budget = report.budgets[service];
        const peak = peakMiB(report.runs[service]);
        return [
          service,
          `${fmt(budget.memoryLimitMiB)} MiB`,
          `\`${budget.nodeOptions}\``,
          `${fmt(peak)} MiB`,
          pct(1 - peak / budget.memoryLimitMiB),
        ];
      }),
    ),
    '',
  );

  out.push('## With V8’s compilers (`nodeJitless: false`)', '');
  out.push(
    "The pods run `--jitless` by default (the chart's `nodeJitless`): V8 interprets bytecode, with no compiled code and no compilation memory. What that trade is worth, measured in the same interleaved reads: production settings with and without it.",
    '',
  );
  out.push(
    ...table(
      [
        'service',
        'req/s, --jitless / JIT',
        'CPU per request, --jitless / JIT',
        'peak RSS over the reads, --jitless / JIT',
      ],
      BENCHED.map((service) => {
        const runs = report.runs[service];
        const [jitless, jit] = [runs.reads.production, runs.reads['production-jit']];
        return [
          service,
          `${jitless?.requestsPerSecond ?? '–'} / ${jit?.requestsPerSecond ?? '–'}`,
          `${fmt(jitless?.cpuMicrosecondsPerRequest)} / ${fmt(jit?.cpuMicrosecondsPerRequest)} µs`,
          `${fmt((runs.peakRssReadsBytes?.production ?? NaN) / MiB)} / ${fmt((runs.peakRssReadsBytes?.jit ?? NaN) / MiB)} MiB`,
        ];
      }),
    ),
    '',
  );

  out.push('## Cold start and the compile cache', '');
  out.push(
    "CPU seconds from exec to ready. The image build runs the bundle with the flags of its `CMD`, with and without `--jitless`, to fill `NODE_COMPILE_CACHE` (V8 keys the cache by its flags), so a pod starts from V8's code cache instead of compiling its JavaScript.",
    '',
  );
  out.push(
    ...table(
      [
        'service',
        'without the cache',
        "with the image's cache",
        'in the stack (all services starting at once, new databases)',
      ],
      BENCHED.map((service) => {
        const runs = report.runs[service];
        return [
          service,
          `${fmt(runs.coldStart?.withoutCacheCpuSeconds, 2)} s`,
          `${fmt(runs.coldStart?.imageCpuSeconds, 2)} s`,
          `${fmt(runs.coldStartInStackCpuSeconds, 2)} s`,
        ];
      }),
    ),
    '',
  );

  out.push('## Where the cost goes', '');
  out.push(
    'Requests per second of the main read endpoint with one kind of telemetry on at a time, as a share of the same service with all of it off (all interleaved).',
    '',
  );
  out.push('| service | all off | + HTTP metrics | + metrics and request logs | tracing alone | production (all) |');
  out.push('|---|---|---|---|---|---|');
  for (const service of BENCHED) {
    const runs = report.runs[service];
    const cell = (mode: Mode) => `${runs.reads[mode]?.requestsPerSecond ?? '–'} (${pct(keeps(runs, mode))})`;
    out.push(
      `| ${service} | ${runs.reads.off?.requestsPerSecond ?? '–'} | ${cell('metrics')} | ${cell('logs')} | ${cell('tracing')} | ${cell('production')} |`,
    );
  }
  out.push('');

  out.push('## Services against their baselines', '');
  out.push(
    '| service (framework) | endpoint | direct req/s | p50 / p99 ms | via edge req/s | p50 / p99 ms | vs node:http | vs bare framework |',
  );
  out.push('|---|---|---|---|---|---|---|---|');
  const floor = report.baselines['node-http']?.load.requestsPerSecond ?? NaN;
  for (const service of BENCHED) {
    const runs = report.runs[service];
    const framework = report.frameworks[service];
    const bare = report.baselines[framework]?.load.requestsPerSecond ?? NaN;
    const rows: [string, LoadResult | undefined, LoadResult | undefined][] = [
      [ENDPOINT[service][0], runs.reads.production, runs.readEdge],
      [ENDPOINT[service][1], runs.write, runs.writeEdge],
    ];
    for (const [endpoint, direct, edge] of rows) {
      out.push(
        `| ${service} (${framework}) | \`${endpoint}\` | ${direct?.requestsPerSecond ?? '–'} | ${fmt(direct?.p50Ms)} / ${fmt(direct?.p99Ms)} | ${edge?.requestsPerSecond ?? '–'} | ${fmt(edge?.p50Ms)} / ${fmt(edge?.p99Ms)} ` +
          `| ${pct((direct?.requestsPerSecond ?? NaN) / floor)} | ${pct((direct?.requestsPerSecond ?? NaN) / bare)} |`,
      );
    }
  }
  out.push(
    '',
    "Production settings. Ratios are direct requests per second over the baseline's `GET /hello` in the same run. The edge runs inside the load generator's process, so its numbers include that contention.",
    '',
  );

  out.push('## Baselines', '');
  out.push('| baseline | req/s | p50 / p99 ms | cold start CPU s | peak RSS MiB |');
  out.push('|---|---|---|---|---|');
  for (const [name, baseline] of Object.entries(report.baselines)) {
    out.push(
      `| ${name === 'node-http' ? 'raw node:http' : `bare ${name}`} | ${baseline.load.requestsPerSecond} | ${fmt(baseline.load.p50Ms)} / ${fmt(baseline.load.p99Ms)} | ${fmt(baseline.coldStartCpuSeconds, 2)} | ${fmt(baseline.peakRssBytes / MiB)} |`,
    );
  }

  const failures: string[] = [];
  for (const service of BENCHED) {
    const runs = report.runs[service];
    const results: [string, LoadResult | undefined][] = [
      ...Object.entries(runs.reads).map(([mode, r]) => [`${mode} reads`, r] as [string, LoadResult]),
      ['production writes', runs.write],
      ['production reads via the edge', runs.readEdge],
      ['production writes via the edge', runs.writeEdge],
    ];
    for (const [what, result] of results) {
      if (result !== undefined && result.failures > 0) {
        const kinds = Object.entries(result.failureKinds)
          .map(([kind, count]) => `${kind}: ${count}`)
          .join(', ');
        failures.push(`${service} ${what}: ${result.failures} of ${result.requests} (${kinds})`);
      }
    }
  }
  for (const [mode, codes] of Object.entries(report.exitCodes)) {
    for (const [service, code] of Object.entries(codes))
      if (code !== 0) failures.push(`${mode}: ${service} exited ${code} on SIGTERM`);
  }
  out.push(
    '',
    '## Errors',
    '',
    failures.length === 0
      ? 'None: every response was 2xx and every service exited 0 on SIGTERM.'
      : failures.map((f) => `- ${f}`).join('\n'),
    '',
  );
  out.push(`OTLP batches received by the sink: ${report.otlpBatchesReceived}.`, '');
  return out.join('\n');
}
