// `npm run bench`: every service against its bare framework and raw node:http, on this machine,
// in one run, with the same load settings; writes docs/benchmarks/results.{md,json}.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICES, startStack, type StackOptions, workspaceFile } from '@platform/local-stack';
import { freePort, startNode, waitForHttp } from '@platform/testing';
import pg from 'pg';
import { parse } from 'yaml';
import { load, type LoadResult, processStats } from './measure';
import { renderReport, type BenchReport, type ServiceRun } from './report';

const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 5);
const CONNECTIONS = 50;
const ROOT = workspaceFile('nx.json').replace(/nx\.json$/, '');
const log = (message: string) => process.stdout.write(`${message}\n`);
const json = { 'content-type': 'application/json' };

/** The V8 memory flags the charts give every service (NODE_OPTIONS), read from the chart's values. */
function chartNodeOptions(): string {
  const values = parse(readFileSync(join(ROOT, 'deploy/charts/user-service/values.yaml'), 'utf8')) as {
    nodeMaxOldSpaceMiB: number;
    nodeMaxSemiSpaceMiB: number;
  };
  return `--max-old-space-size=${values.nodeMaxOldSpaceMiB} --max-semi-space-size=${values.nodeMaxSemiSpaceMiB}`;
}
const NODE_OPTIONS = chartNodeOptions();

/** The services this benchmark measures (a generated service starts with the stack but is not measured). */
const BENCHED = ['user-service', 'order-service', 'payment-service'] as const;
type ServiceName = (typeof BENCHED)[number];

const FRAMEWORK: Record<ServiceName, 'express' | 'nest' | 'fastify'> = {
  'user-service': 'express',
  'order-service': 'nest',
  'payment-service': 'fastify',
};

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

/** A throwaway PostgreSQL server with one database per service, as in the cluster. */
async function postgres(): Promise<{ urls: Record<string, string>; stop(): void } | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pg-'));
  const script = join(ROOT, 'tools/postgres/throwaway.sh');
  let url: string;
  try {
    url = execFileSync(script, ['start', dir, String(await freePort())], { encoding: 'utf8' }).trim();
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const urls: Record<string, string> = {};
  for (const service of SERVICES) {
    const name = `bench_${service.replace('-service', '')}`;
    await admin.query(`CREATE DATABASE ${name}`);
    urls[service] = url.replace(/\/postgres$/, `/${name}`);
  }
  await admin.end();
  return {
    urls,
    stop: () => {
      execFileSync(script, ['stop', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function runBaseline(
  name: string,
): Promise<{ load: LoadResult; coldStartCpuSeconds: number; peakRssBytes: number }> {
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
      durationSeconds: DURATION_S,
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
}

async function seed(urls: Record<string, string>): Promise<Seed> {
  const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });
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
  return { userId: user.id, orderId: order.id, paymentId: String(paid.paymentId) };
}

/** The main read endpoint and the write path of each service. */
function endpoints(service: ServiceName, data: Seed) {
  switch (service) {
    case 'user-service':
      return {
        read: `/users/${data.userId}`,
        write: {
          path: '/users',
          request: (n: number) => ({
            body: JSON.stringify({ email: `w${n}-${randomUUID()}@example.com`, name: 'Writer' }),
          }),
        },
      };
    case 'order-service':
      return {
        read: `/orders/${data.orderId}`,
        write: {
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
        write: {
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

type Mode = 'off' | 'production' | 'otlp-down' | 'profile-metrics' | 'profile-logs' | 'profile-tracing';

/** The chart's production sampler. */
const PRODUCTION_SAMPLER = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };

function environment(mode: Mode, sinkUrl: string): Record<string, string> {
  switch (mode) {
    case 'off':
      return { LOG_LEVEL: 'silent', REQUEST_TELEMETRY: 'false' };
    case 'profile-metrics':
      return { LOG_LEVEL: 'warn', REQUEST_TELEMETRY: 'true' };
    case 'profile-logs':
      return { LOG_LEVEL: 'info', REQUEST_TELEMETRY: 'true' };
    case 'profile-tracing':
      return {
        LOG_LEVEL: 'silent',
        REQUEST_TELEMETRY: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
        ...PRODUCTION_SAMPLER,
      };
    case 'production':
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

async function runStack(
  mode: Mode,
  databaseUrls: Record<string, string> | undefined,
  sinkUrl: string,
): Promise<Record<ServiceName, ServiceRun>> {
  const env = { ...environment(mode, sinkUrl), NODE_OPTIONS };
  const dataRoot = mkdtempSync(join(tmpdir(), `bench-${mode}-`));
  const coldStart: Record<string, number> = {};
  const options: StackOptions = {
    ports: 'free',
    edgePort: 0,
    dataRoot,
    databaseUrls,
    env,
    keepLines: 20,
    onReady: (service, child) => (coldStart[service] = processStats(child.child.pid as number).cpuSeconds),
  };
  const stack = await startStack(options);
  const urls = Object.fromEntries(SERVICES.map((s) => [s, stack.services[s]?.url ?? ''])) as Record<string, string>;
  const runs = {} as Record<ServiceName, ServiceRun>;
  try {
    const data = await seed(urls);
    for (const service of BENCHED) {
      const { read, write } = endpoints(service, data);
      log(`  ${mode}: ${service} GET ${read.replace(/[0-9a-f-]{36}/, ':id')}`);
      const run: ServiceRun = {
        coldStartCpuSeconds: coldStart[service] ?? NaN,
        readDirect: await load({
          url: `${urls[service]}${read}`,
          connections: CONNECTIONS,
          durationSeconds: DURATION_S,
        }),
      };
      if (mode === 'production' || mode === 'otlp-down') {
        const writeLoad = (base: string) =>
          load({
            url: `${base}${write.path}`,
            method: 'POST',
            headers: json,
            request: write.request,
            connections: CONNECTIONS,
            durationSeconds: DURATION_S,
          });
        log(`  ${mode}: ${service} POST ${write.path}`);
        run.writeDirect = await writeLoad(urls[service]);
        if (mode === 'production') {
          log(`  ${mode}: ${service} through the edge`);
          run.readEdge = await load({
            url: `${stack.edgeUrl}${read}`,
            connections: CONNECTIONS,
            durationSeconds: DURATION_S,
          });
          run.writeEdge = await writeLoad(stack.edgeUrl);
        }
      }
      run.peakRssBytes = processStats(stack.services[service]?.process.child.pid as number).peakRssBytes;
      runs[service] = run;
    }
  } finally {
    const codes = await stack.stop();
    rmSync(dataRoot, { recursive: true, force: true });
    for (const service of BENCHED) if (runs[service] !== undefined) runs[service].exitCode = codes[service];
  }
  return runs;
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`Benchmark: ${CONNECTIONS} connections, ${DURATION_S} s per run, loopback only.`);
  const database = await postgres();
  log(
    database === undefined
      ? 'No PostgreSQL server binaries: the services use their embedded engine.'
      : 'Services on a throwaway PostgreSQL server, as in production.',
  );
  const sink = await otlpSink();
  try {
    const baselines: BenchReport['baselines'] = {};
    for (const name of ['node-http', 'express', 'nest', 'fastify']) {
      log(`  baseline: ${name}`);
      baselines[name] = await runBaseline(name);
    }
    const off = await runStack('off', database?.urls, sink.url);
    const profile = {
      metrics: await runStack('profile-metrics', database?.urls, sink.url),
      logs: await runStack('profile-logs', database?.urls, sink.url),
      tracing: await runStack('profile-tracing', database?.urls, sink.url),
    };
    const production = await runStack('production', database?.urls, sink.url);
    const otlpDown = await runStack('otlp-down', database?.urls, sink.url);
    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
      settings: {
        connections: CONNECTIONS,
        durationSeconds: DURATION_S,
        nodeOptions: NODE_OPTIONS,
        database: database === undefined ? 'embedded (PGlite)' : 'PostgreSQL 15 (throwaway, loopback)',
      },
      frameworks: FRAMEWORK,
      baselines,
      off,
      profile,
      production,
      otlpDown,
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
    database?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
