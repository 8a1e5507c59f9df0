import type { AuthCost } from './auth-cost';
import type { ChartBudget } from './budget';
import type { LoadResult } from './measure';

export const BENCHED = ['user-service', 'order-service', 'payment-service'] as const;
export type ServiceName = (typeof BENCHED)[number];

/**
 * The stacks the benchmark runs: all telemetry off, one kind on at a time, production (the chart's
 * defaults, its V8 mode included), production in the chart's other V8 mode (`nodeJitless`
 * toggled), and the collector down.
 */
export type Mode = 'off' | 'metrics' | 'logs' | 'tracing' | 'production' | 'production-alt' | 'otlp-down';

/** V8 with its compilers, or bytecode only (`--jitless`). */
export type V8Mode = 'jit' | 'jitless';
export const v8ModeOf = (nodeOptions: string): V8Mode =>
  /(^|\s)--jitless(\s|$)/.test(nodeOptions) ? 'jitless' : 'jit';
/** NODE_OPTIONS in the other V8 mode. */
export const toggleJitless = (nodeOptions: string): string =>
  v8ModeOf(nodeOptions) === 'jitless'
    ? nodeOptions.replace(/(^|\s)--jitless(?=\s|$)/, '').trim()
    : `--jitless ${nodeOptions}`.trim();

/**
 * Prices for the cost per request: AWS Fargate, Linux/x86, on demand, us-east-1
 * (https://aws.amazon.com/fargate/pricing/): per vCPU-hour and per GB-hour of memory.
 */
export const PRICE_PER_VCPU_HOUR_USD = 0.04048;
export const PRICE_PER_GB_HOUR_USD = 0.004445;
/** The memory a mode needs: its measured peak with 15 % headroom, in steps of 16 MiB. */
export const MEMORY_HEADROOM = 1.15;
export const MEMORY_STEP_MIB = 16;

/** What a pod costs per read, in one V8 mode at the chart's CPU limit. */
export interface ModeCost {
  readonly nodeOptions: string;
  readonly cpuMicrosecondsPerRead: number;
  /** Reads per second one pod serves at the chart's CPU limit, when CPU-bound. */
  readonly readsPerSecondPerPod: number;
  readonly peakRssMiB: number;
  readonly memoryNeededMiB: number;
  readonly usdPerMillionReads: number;
}

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
  /** VmHWM after the interleaved reads, in production and in the other V8 mode. */
  peakRssReadsBytes?: { production: number; alt: number };
  /** VmHWM of the other V8 mode's stack over its reads and writes. */
  peakRssAltBytes?: number;
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
  /** Per service, what a read costs in each V8 mode; the chart's default should be the cheaper. */
  costs: Record<ServiceName, Record<V8Mode, ModeCost>>;
  auth?: AuthCost;
  baselines: Record<string, { load: LoadResult; coldStartCpuSeconds: number; peakRssBytes: number }>;
  runs: Record<ServiceName, ServiceRuns>;
  exitCodes: Record<string, Record<string, number | string>>;
  otlpBatchesReceived: number;
  wallSeconds: number;
}

/** The targets the platform commits to. Never loosened: a miss is reported. */
export const TARGETS = {
  telemetryKeepsAtLeast: 0.8,
  /** The earlier absolute peak, kept in the report: the JIT's memory buys its cheaper reads. */
  peakRssMiB: 110,
  /** Peak RSS, collector up and down, at most this share of the chart's memory limit. */
  peakShareOfLimit: 0.85,
  /** The default mode's cost per million reads at least this much below `--jitless` at 128Mi (the old default). */
  costCutAtLeast: 0.4,
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

/** The chart's CPU limit (`100m`, `0.5`, `1`) in vCPUs. */
export const vcpus = (quantity: string): number =>
  quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);

/** What a read costs on a pod given `cpuLimit` vCPUs and `memoryMiB`, at `cpuMicrosecondsPerRead`. */
export function costOf(cpuLimit: number, memoryMiB: number, cpuMicrosecondsPerRead: number) {
  const readsPerSecondPerPod = cpuLimit / (cpuMicrosecondsPerRead / 1e6);
  const usdPerHour = cpuLimit * PRICE_PER_VCPU_HOUR_USD + (memoryMiB / 1024) * PRICE_PER_GB_HOUR_USD;
  return { readsPerSecondPerPod, usdPerMillionReads: (usdPerHour / (readsPerSecondPerPod * 3600)) * 1e6 };
}

/** The cost of each V8 mode of one service, from its runs and its chart's budget. */
export function modeCosts(runs: ServiceRuns, budget: ChartBudget): Record<V8Mode, ModeCost> {
  const cpuLimit = vcpus(budget.cpuLimit);
  const measured = [
    { nodeOptions: budget.nodeOptions, read: runs.reads.production, peakBytes: peakMiB(runs) * MiB },
    {
      nodeOptions: toggleJitless(budget.nodeOptions),
      read: runs.reads['production-alt'],
      peakBytes: runs.peakRssAltBytes ?? NaN,
    },
  ];
  const costs = {} as Record<V8Mode, ModeCost>;
  for (const { nodeOptions, read, peakBytes } of measured) {
    const peakRssMiB = peakBytes / MiB;
    const memoryNeededMiB = Math.ceil((peakRssMiB * MEMORY_HEADROOM) / MEMORY_STEP_MIB) * MEMORY_STEP_MIB;
    const cpuMicrosecondsPerRead = read?.cpuMicrosecondsPerRequest ?? NaN;
    costs[v8ModeOf(nodeOptions)] = {
      nodeOptions,
      cpuMicrosecondsPerRead,
      peakRssMiB,
      memoryNeededMiB,
      ...costOf(cpuLimit, memoryNeededMiB, cpuMicrosecondsPerRead),
    };
  }
  return costs;
}

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
    ...table(
      [
        'service',
        `telemetry keeps (target ≥ ${pct(TARGETS.telemetryKeepsAtLeast)})`,
        `peak RSS, production / OTLP down, of the limit (target ≤ ${pct(TARGETS.peakShareOfLimit)}; earlier < ${TARGETS.peakRssMiB} MiB)`,
        `cost per million reads, default against \`--jitless\` at 128Mi (target ≥ ${pct(TARGETS.costCutAtLeast)} less)`,
        `cold start as the image runs it (target ≤ ${TARGETS.coldStartCpuSeconds} CPU-s)`,
      ],
      BENCHED.map((service) => {
        const runs = report.runs[service];
        const kept = keeps(runs, 'production');
        const prod = (runs.peakRssBytes ?? NaN) / MiB;
        const down = (runs.peakRssOtlpDownBytes ?? NaN) / MiB;
        const limit = report.budgets[service].memoryLimitMiB;
        const share = Math.max(prod, down) / limit;
        const cold = runs.coldStart?.imageCpuSeconds ?? NaN;
        const costs = report.costs[service];
        const chosen = costs[v8ModeOf(report.budgets[service].nodeOptions)];
        const oldDefault = costOf(vcpus(report.budgets[service].cpuLimit), 128, costs.jitless.cpuMicrosecondsPerRead);
        const cut = 1 - chosen.usdPerMillionReads / oldDefault.usdPerMillionReads;
        return [
          service,
          `${pct(kept)} (${runs.reads.production?.requestsPerSecond} vs ${runs.reads.off?.requestsPerSecond} req/s): ${verdict(kept >= TARGETS.telemetryKeepsAtLeast)}`,
          `${fmt(prod)} / ${fmt(down)} MiB of ${fmt(limit)}, ${pct(share)}: ${verdict(share <= TARGETS.peakShareOfLimit)} (< ${TARGETS.peakRssMiB} MiB: ${verdict(Math.max(prod, down) < TARGETS.peakRssMiB)})`,
          `$${fmt(chosen.usdPerMillionReads, 4)} against $${fmt(oldDefault.usdPerMillionReads, 4)}, ${pct(cut)} less: ${verdict(cut >= TARGETS.costCutAtLeast)}`,
          `${fmt(cold, 2)} s: ${verdict(cold <= TARGETS.coldStartCpuSeconds)}`,
        ];
      }),
    ),
  );
  out.push(
    '',
    `"Telemetry keeps": requests per second of the main read endpoint with production defaults (request logs at info, metrics, tracing through the OpenTelemetry Node SDK with the chart's sampler \`parentbased_traceidratio\` 0.1 exporting to a local OTLP sink) over the same service with all of it off (\`LOG_LEVEL=silent\`, \`REQUEST_TELEMETRY=false\`, no OTLP endpoint). The stacks run side by side and take turns: ${settings.rounds} rounds of ${settings.segmentSeconds} s each, the order rotating every round. ` +
      "Peak RSS is VmHWM over the production stack's whole run (reads, writes, both through the edge) and over a run with the OTLP endpoint down and every trace sampled. " +
      `Cold start is user+system CPU from exec until \`/health/ready\` first answers 200, the service alone on its migrated database with production settings, the mean of ${settings.coldStarts} starts with the compile cache the image build makes.`,
    '',
  );

  out.push('## Cost per read', '');
  out.push(
    `What one pod costs per million reads of the main read endpoint in each V8 mode, at the chart's CPU limit and the memory the mode needs (its peak RSS × ${MEMORY_HEADROOM}, rounded up to ${MEMORY_STEP_MIB} MiB), at AWS Fargate's prices ($${PRICE_PER_VCPU_HOUR_USD} per vCPU-hour, $${PRICE_PER_GB_HOUR_USD} per GB-hour, Linux/x86, us-east-1). Reads per second per pod are the CPU limit over the CPU time per read measured under load, with production settings; **bold** is the chart's default.`,
    '',
  );
  out.push(
    ...table(
      ['service', 'mode', 'CPU per read', 'reads/s per pod', 'peak RSS', 'memory needed', '$ per million reads'],
      BENCHED.flatMap((service) => {
        const chosen = v8ModeOf(report.budgets[service].nodeOptions);
        return (['jit', 'jitless'] as const).map((mode) => {
          const cost = report.costs[service][mode];
          const name = mode === 'jit' ? 'JIT' : '`--jitless`';
          return [
            service,
            mode === chosen ? `**${name}** (default)` : name,
            `${fmt(cost.cpuMicrosecondsPerRead)} µs`,
            `${fmt(cost.readsPerSecondPerPod)} at ${report.budgets[service].cpuLimit}`,
            `${fmt(cost.peakRssMiB)} MiB`,
            `${cost.memoryNeededMiB}Mi`,
            mode === chosen ? `**$${fmt(cost.usdPerMillionReads, 4)}**` : `$${fmt(cost.usdPerMillionReads, 4)}`,
          ];
        });
      }),
    ),
    '',
    "The other mode's peak is over its reads and writes only (the default's includes the edge and the collector-down run).",
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

  out.push('## The two V8 modes', '');
  out.push(
    "The chart's `nodeJitless` chooses between V8 with its compilers and bytecode only (`--jitless`: no compiled code, no compilation memory, fewer reads per CPU). Both measured in the same interleaved reads, production settings otherwise.",
    '',
  );
  out.push(
    ...table(
      [
        'service',
        'req/s, JIT / --jitless',
        'CPU per request, JIT / --jitless',
        'peak RSS over the reads, JIT / --jitless',
      ],
      BENCHED.map((service) => {
        const runs = report.runs[service];
        const defaultIsJit = v8ModeOf(report.budgets[service].nodeOptions) === 'jit';
        const [first, second] = defaultIsJit
          ? (['production', 'production-alt'] as const)
          : (['production-alt', 'production'] as const);
        const rss = (which: 'production' | 'alt') => fmt((runs.peakRssReadsBytes?.[which] ?? NaN) / MiB);
        const [rssJit, rssJitless] = defaultIsJit ? [rss('production'), rss('alt')] : [rss('alt'), rss('production')];
        return [
          service,
          `${runs.reads[first]?.requestsPerSecond ?? '–'} / ${runs.reads[second]?.requestsPerSecond ?? '–'}`,
          `${fmt(runs.reads[first]?.cpuMicrosecondsPerRequest)} / ${fmt(runs.reads[second]?.cpuMicrosecondsPerRequest)} µs`,
          `${rssJit} / ${rssJitless} MiB`,
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
