// `npm run bench`: every service as its image runs it (the image's Node, the bundle, the chart's
// NODE_OPTIONS, PostgreSQL), against its bare framework and raw node:http, on this machine, in one
// run; writes docs/benchmarks/results.{md,json}. Loopback only; every load is bounded in time.
//
// The machine is shared and busy, so every comparison is interleaved: the stacks being compared
// run side by side and take turns under load, round after round, so a slow minute hurts both.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningStack, SERVICES, startStack, workspaceFile } from '@platform/local-stack';
import { BUILT_SERVICE_ENV, builtServiceArgs, freePort, JITLESS, startNode, waitForHttp } from '@platform/testing';
import { PRELOAD_ONLY } from '@platform/runtime';
import pg from 'pg';
import { PERSON_SCOPES, PLATFORM_AUDIENCE, serviceAccountName } from '@platform/auth';
import type { LocalIssuer } from '@platform/auth/issuer';
import { authCost } from './auth-cost';
import { chartBudgets } from './budget';
import { combine, load, type LoadResult, processStats } from './measure';
import { serviceEntry } from '@platform/system';
import {
  BENCHED,
  type BenchReport,
  type Mode,
  modeCosts,
  renderReport,
  type ServiceName,
  type ServiceRuns,
  toggleJitless,
} from './report';

const SEGMENT_S = Number(process.env['BENCH_SEGMENT_S'] ?? 3);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const COLD_STARTS = Number(process.env['BENCH_COLD_STARTS'] ?? 5);
const CONNECTIONS = 50;
const ROOT = workspaceFile('nx.json').replace(/nx\.json$/, '');
const log = (message: string) => process.stdout.write(`${message}\n`);
const json = { 'content-type': 'application/json' };

/** An OTLP/HTTP endpoint that accepts and drops everything, as a collector would take it. */
async function otlpSink() {
  let batches = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      batches++;
      res.writeHead(200, json).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches: () => batches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A throwaway PostgreSQL server; `databases(tag)` makes one database per service, as in the cluster. */
async function postgres() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pg-'));
  const script = join(ROOT, 'tools/postgres/throwaway.sh');
  let url: string;
  try {
    url = execFileSync(script, ['start', dir, String(await freePort())], { encoding: 'utf8' }).trim();
  } catch {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('the benchmark needs the PostgreSQL server binaries (Debian package postgresql-15)');
  }
  return {
    async databases(tag: string): Promise<Record<string, string>> {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const urls: Record<string, string> = {};
      for (const service of SERVICES) {
        const name = `bench_${tag}_${service.replace(/-service$/, '').replace(/-/g, '_')}`;
        await admin.query(`CREATE DATABASE ${name}`);
        urls[service] = url.replace(/\/postgres$/, `/${name}`);
      }
      await admin.end();
      return urls;
    },
    stop() {
      execFileSync(script, ['stop', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function runBaseline(name: string) {
  const port = await freePort();
  const child = startNode([join(ROOT, 'dist/tools/bench/baselines', `${name}.cjs`)], {
    env: { PATH: process.env['PATH'], PORT: String(port), NODE_ENV: 'production' },
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/hello`, { process: child, intervalMs: 20 });
    const coldStartCpuSeconds = processStats(child.child.pid as number).cpuSeconds;
    const result = await load({
      url: `http://127.0.0.1:${port}/hello`,
      connections: CONNECTIONS,
      durationSeconds: SEGMENT_S * ROUNDS,
    });
    return { load: result, coldStartCpuSeconds, peakRssBytes: processStats(child.child.pid as number).peakRssBytes };
  } finally {
    await child.stop();
  }
}

interface Seed {
  userId: string;
  orderId: string;
  paymentId: string;
  /** The person who owns the user and the order, and order-service's own token for payment-service. */
  person: Record<string, string>;
  orderService: Record<string, string>;
}

/** Data to read, made by a person signed in with the stack's issuer; every request carries a real token. */
async function seed(urls: Record<string, string>, issuer: LocalIssuer): Promise<Seed> {
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const person = bearer(
    await issuer.sign({
      sub: `bench-${randomUUID()}`,
      aud: PLATFORM_AUDIENCE,
      scope: PERSON_SCOPES.join(' '),
      expiresInSeconds: 6 * 3600,
    }),
  );
  const orderService = bearer(
    await issuer.sign({
      sub: serviceAccountName('order-service', 'order-service'),
      aud: 'payment-service',
      expiresInSeconds: 6 * 3600,
    }),
  );
  const post = async (url: string, body: unknown) => {
    const res = await fetch(url, { method: 'POST', headers: { ...json, ...person }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`seeding ${url} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { id: string; paymentId?: string };
  };
  const user = await post(`${urls['user-service']}/users`, {
    email: `bench-${randomUUID()}@example.com`,
    name: 'Bench',
  });
  const order = await post(`${urls['order-service']}/orders`, {
    userId: user.id,
    currency: 'EUR',
    items: [{ sku: 'BENCH-1', quantity: 2, unitPriceCents: 1999 }],
  });
  const paid = await post(`${urls['order-service']}/orders/${order.id}/pay`, {
    paymentMethod: { type: 'card', token: 'tok_visa' },
  });
  return { userId: user.id, orderId: order.id, paymentId: String(paid.paymentId), person, orderService };
}

/**
 * The main read endpoint and the write path of each service, with the caller each has in
 * production: the person who owns the data, or order-service for payments.
 */
function endpoints(service: ServiceName, data: Seed) {
  switch (service) {
    case 'user-service':
      return {
        read: `/users/${data.userId}`,
        caller: data.person,
        write: {
          // A person has one profile: the write path a person repeats is changing it.
          method: 'PATCH' as const,
          path: `/users/${data.userId}`,
          request: (n: number) => ({ body: JSON.stringify({ name: `Writer ${n}` }) }),
        },
      };
    case 'order-service':
      return {
        read: `/orders/${data.orderId}`,
        caller: data.person,
        write: {
          method: 'POST' as const,
          path: '/orders',
          request: () => ({
            body: JSON.stringify({
              userId: data.userId,
              currency: 'EUR',
              items: [{ sku: 'W-1', quantity: 1, unitPriceCents: 500 }],
            }),
          }),
        },
      };
    case 'payment-service':
      return {
        read: `/payments/${data.paymentId}`,
        caller: data.orderService,
        write: {
          method: 'POST' as const,
          path: '/payments',
          request: () => ({
            body: JSON.stringify({
              amountCents: 1500,
              currency: 'EUR',
              reference: `bench-${randomUUID()}`,
              method: { type: 'card', token: 'tok_visa' },
            }),
            headers: { 'idempotency-key': randomUUID() },
          }),
        },
      };
  }
}

/** The chart's production sampler. */
const PRODUCTION_SAMPLER = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };

/** What each mode switches on. `production` is the chart's defaults; the others isolate one cost each. */
function environment(mode: Mode, sinkUrl: string): Record<string, string> {
  switch (mode) {
    case 'off':
      return { LOG_LEVEL: 'silent', REQUEST_TELEMETRY: 'false' };
    case 'metrics':
      return { LOG_LEVEL: 'warn' };
    case 'logs':
      return { LOG_LEVEL: 'info' };
    case 'tracing':
      return {
        LOG_LEVEL: 'silent',
        REQUEST_TELEMETRY: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
        ...PRODUCTION_SAMPLER,
      };
    case 'production':
    case 'production-alt':
      return { LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, ...PRODUCTION_SAMPLER };
    case 'otlp-down':
      // The collector is down and every trace is sampled: the worst case for memory.
      return {
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      };
  }
}

interface Bench {
  readonly database: Awaited<ReturnType<typeof postgres>>;
  readonly sinkUrl: string;
  readonly nodeOptions: Record<ServiceName, string>;
}

interface ModeStack {
  readonly mode: Mode;
  readonly stack: RunningStack;
  readonly data: Seed;
  readonly dataRoot: string;
  readonly coldStartCpuSeconds: Record<string, number>;
}

async function startModeStack(bench: Bench, mode: Mode): Promise<ModeStack> {
  const dataRoot = mkdtempSync(join(tmpdir(), `bench-${mode}-`));
  const coldStartCpuSeconds: Record<string, number> = {};
  const stack = await startStack({
    ports: 'free',
    edgePort: 0,
    dataRoot,
    databaseUrls: await bench.database.databases(mode.replace('-', '_')),
    env: environment(mode, bench.sinkUrl),
    // Each service with its own chart's V8 flags (production-alt: in the chart's other V8 mode).
    serviceEnv: Object.fromEntries(
      BENCHED.map((s) => [
        s,
        { NODE_OPTIONS: mode === 'production-alt' ? toggleJitless(bench.nodeOptions[s]) : bench.nodeOptions[s] },
      ]),
    ),
    keepLines: 20,
    onReady: (service, child) => (coldStartCpuSeconds[service] = processStats(child.child.pid as number).cpuSeconds),
  });
  const data = await seed(Object.fromEntries(SERVICES.map((s) => [s, stack.services[s]?.url ?? ''])), stack.issuer);
  return { mode, stack, data, dataRoot, coldStartCpuSeconds };
}

async function stopModeStack(modeStack: ModeStack): Promise<Record<string, number | string>> {
  const codes = await modeStack.stack.stop();
  rmSync(modeStack.dataRoot, { recursive: true, force: true });
  return codes;
}

const serviceUrl = (m: ModeStack, service: ServiceName) => m.stack.services[service]?.url ?? '';
const peakRss = (m: ModeStack, service: ServiceName) =>
  processStats(m.stack.services[service]?.process.child.pid as number).peakRssBytes;

/**
 * Each stack's main read endpoint of `service`, under the same load, taking turns for ROUNDS
 * rounds (the order rotates each round); one combined result per stack.
 */
async function interleavedReads(stacks: readonly ModeStack[], service: ServiceName) {
  const segments = new Map<Mode, LoadResult[]>(stacks.map((m) => [m.mode, []]));
  const cpuSeconds = new Map<Mode, number>(stacks.map((m) => [m.mode, 0]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = stacks.map((_, i) => stacks[(i + round) % stacks.length] as ModeStack);
    for (const m of order) {
      const { read, caller } = endpoints(service, m.data);
      const pid = m.stack.services[service]?.process.child.pid as number;
      const before = processStats(pid).cpuSeconds;
      segments.get(m.mode)?.push(
        await load({
          url: `${serviceUrl(m, service)}${read}`,
          headers: caller,
          connections: CONNECTIONS,
          durationSeconds: SEGMENT_S,
        }),
      );
      cpuSeconds.set(m.mode, (cpuSeconds.get(m.mode) ?? 0) + processStats(pid).cpuSeconds - before);
    }
  }
  return new Map(
    [...segments].map(([mode, results]) => {
      const combined = combine(results);
      return [
        mode,
        { ...combined, cpuMicrosecondsPerRequest: ((cpuSeconds.get(mode) ?? NaN) * 1e6) / combined.requests },
      ];
    }),
  );
}

async function writes(m: ModeStack, service: ServiceName, base: string): Promise<LoadResult> {
  const { write, caller } = endpoints(service, m.data);
  return load({
    url: `${base}${write.path}`,
    method: write.method,
    headers: { ...json, ...caller },
    request: write.request,
    connections: CONNECTIONS,
    durationSeconds: SEGMENT_S * ROUNDS,
  });
}

/**
 * CPU from exec until `/health/ready` answers, `COLD_STARTS` times for one service alone on its
 * (migrated) production database: without a compile cache, and with one made the way the image
 * build makes it (`node <flags> -e "require('./main.cjs')"`, the flags of its CMD).
 */
async function coldStarts(bench: Bench, service: ServiceName, databaseUrl: string) {
  const dist = join(ROOT, 'dist/apps', service);
  const flags = builtServiceArgs(dist).slice(0, -1);
  const cache = mkdtempSync(join(tmpdir(), `bench-compile-cache-${service}-`));
  // Both caches the image build makes: as the image runs it, and with the chart's --jitless.
  for (const nodeOptions of ['', JITLESS])
    execFileSync(process.execPath, [...flags, '-e', `require(${JSON.stringify(join(dist, 'main.cjs'))})`], {
      env: { PATH: process.env['PATH'], NODE_OPTIONS: nodeOptions, NODE_COMPILE_CACHE: cache, [PRELOAD_ONLY]: '1' },
    });
  const once = async (extraEnv: Record<string, string>) => {
    const port = await freePort();
    const child = startNode(builtServiceArgs(dist), {
      env: {
        ...BUILT_SERVICE_ENV,
        PATH: process.env['PATH'],
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        NODE_OPTIONS: bench.nodeOptions[service],
        ...environment('production', bench.sinkUrl),
        ...extraEnv,
      },
    });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/ready`, { process: child, intervalMs: 10, timeoutMs: 30_000 });
      return processStats(child.child.pid as number).cpuSeconds;
    } finally {
      await child.stop();
    }
  };
  // Once first, unmeasured: it migrates the database, as a rolling restart finds it migrated.
  await once({});
  const without: number[] = [];
  const withCache: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    without.push(await once({}));
    withCache.push(await once({ NODE_COMPILE_CACHE: cache }));
  }
  rmSync(cache, { recursive: true, force: true });
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return { withoutCacheCpuSeconds: mean(without), imageCpuSeconds: mean(withCache) };
}

async function main(): Promise<void> {
  const started = Date.now();
  log(
    `Benchmark on Node.js ${process.version}: ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SEGMENT_S} s per comparison, loopback only.`,
  );
  const budgets = await chartBudgets(ROOT, BENCHED);
  const database = await postgres();
  const sink = await otlpSink();
  const bench: Bench = {
    database,
    sinkUrl: sink.url,
    nodeOptions: Object.fromEntries(BENCHED.map((s) => [s, budgets[s].nodeOptions])) as Record<ServiceName, string>,
  };
  const runs = Object.fromEntries(BENCHED.map((s) => [s, { reads: {} }])) as Record<ServiceName, ServiceRuns>;
  const exitCodes: Record<string, Record<string, number | string>> = {};
  try {
    log('  bearer token checks, in process');
    const auth = await authCost();
    const baselines: BenchReport['baselines'] = {};
    for (const name of ['node-http', 'express', 'nest', 'fastify']) {
      log(`  baseline: ${name}`);
      baselines[name] = await runBaseline(name);
    }

    // What telemetry costs: five stacks side by side, reads interleaved.
    const compared: Mode[] = ['off', 'metrics', 'logs', 'tracing', 'production', 'production-alt'];
    const stacks: ModeStack[] = [];
    for (const mode of compared) stacks.push(await startModeStack(bench, mode));
    const production = stacks.find((m) => m.mode === 'production') as ModeStack;
    const alt = stacks.find((m) => m.mode === 'production-alt') as ModeStack;
    for (const service of BENCHED) {
      log(`  ${service}: reads, ${compared.join(' / ')} interleaved`);
      for (const [mode, result] of await interleavedReads(stacks, service)) runs[service].reads[mode] = result;
      runs[service].coldStartInStackCpuSeconds = production.coldStartCpuSeconds[service];
      runs[service].peakRssReadsBytes = { production: peakRss(production, service), alt: peakRss(alt, service) };
    }
    for (const service of BENCHED) {
      log(`  ${service}: writes, and both through the edge (production)`);
      runs[service].write = await writes(production, service, serviceUrl(production, service));
      runs[service].readEdge = await load({
        url: `${production.stack.edgeUrl}${endpoints(service, production.data).read}`,
        headers: endpoints(service, production.data).caller,
        connections: CONNECTIONS,
        durationSeconds: SEGMENT_S * ROUNDS,
      });
      runs[service].writeEdge = await writes(production, service, production.stack.edgeUrl);
      runs[service].peakRssBytes = peakRss(production, service);
      // The other V8 mode's memory over writes too, for what that mode would need.
      await writes(alt, service, serviceUrl(alt, service));
      runs[service].peakRssAltBytes = peakRss(alt, service);
    }
    for (const m of stacks) exitCodes[m.mode] = await stopModeStack(m);

    // Memory at its worst: the collector down and every trace sampled.
    log('  OTLP endpoint down, every trace sampled: reads and writes');
    const down = await startModeStack(bench, 'otlp-down');
    for (const service of BENCHED) {
      runs[service].reads['otlp-down'] = await load({
        url: `${serviceUrl(down, service)}${endpoints(service, down.data).read}`,
        headers: endpoints(service, down.data).caller,
        connections: CONNECTIONS,
        durationSeconds: SEGMENT_S * ROUNDS,
      });
      await writes(down, service, serviceUrl(down, service));
      runs[service].peakRssOtlpDownBytes = peakRss(down, service);
    }
    exitCodes['otlp-down'] = await stopModeStack(down);

    // Cold start as the image runs it: with and without the compile cache its build makes.
    const coldDatabases = await database.databases('cold');
    for (const service of BENCHED) {
      log(`  ${service}: ${COLD_STARTS} cold starts without and ${COLD_STARTS} with the compile cache`);
      runs[service].coldStart = await coldStarts(bench, service, coldDatabases[service] as string);
    }

    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
      settings: {
        connections: CONNECTIONS,
        segmentSeconds: SEGMENT_S,
        rounds: ROUNDS,
        coldStarts: COLD_STARTS,
        nodeArgs: builtServiceArgs('.').slice(0, -1).join(' '),
        database: 'PostgreSQL 15 (throwaway, loopback)',
      },
      frameworks: Object.fromEntries(BENCHED.map((s) => [s, serviceEntry(s).framework])) as BenchReport['frameworks'],
      budgets,
      costs: Object.fromEntries(BENCHED.map((s) => [s, modeCosts(runs[s], budgets[s])])) as BenchReport['costs'],
      auth,
      baselines,
      runs,
      exitCodes,
      otlpBatchesReceived: sink.batches(),
      wallSeconds: Math.round((Date.now() - started) / 1000),
    };
    const outDir = join(ROOT, 'docs/benchmarks');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
    const markdown = renderReport(report);
    writeFileSync(join(outDir, 'results.md'), markdown);
    log(`\n${markdown}`);
    log(`Wrote docs/benchmarks/results.md and results.json in ${report.wallSeconds} s.`);
  } finally {
    await sink.close();
    database.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
