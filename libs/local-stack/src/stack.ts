import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { LocalIssuer } from '@platform/auth/issuer';
import {
  BUILT_SERVICE_ENV,
  builtServiceArgs,
  freePort,
  type RunningProcess,
  startNode,
  waitForHttp,
} from '@platform/testing';
import { apiReference } from './api-reference';
import { type Edge, startEdge } from './edge';
import { localIssuer, WorkloadTokens } from './identity';
import { loadRoutes, type RouteTable, workspaceFile } from './routes';
import { serviceEntry, serviceNames, urlVariable } from '@platform/system';

/** Every service of the system's manifest (deploy/services.json), so a generated service starts too. */
export const SERVICES: readonly string[] = serviceNames;
export type ServiceName = string;

export interface StackOptions {
  /** Ports from the route table (3001-3003), as `nx serve` uses, or free ones (tests). */
  readonly ports?: 'fixed' | 'free';
  /** The edge's port: 8080 by default; 0 for a free one. */
  readonly edgePort?: number;
  /** Where the issuer keeps its keys (`<dataRoot>/auth`) and the workload tokens (`<dataRoot>/tokens`). */
  readonly dataRoot?: string;
  /** Each service keeps its embedded database in `<databaseRoot>/<service>`; `dataRoot` by default. */
  readonly databaseRoot?: string;
  /** PostgreSQL URLs per service instead of the embedded engine. */
  readonly databaseUrls?: Readonly<Record<ServiceName, string>>;
  /** Extra environment for every service (LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT…). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra environment per service. */
  readonly serviceEnv?: Readonly<Record<ServiceName, Readonly<Record<string, string>>>>;
  /** Called with each output line of each service. */
  readonly onLine?: (service: ServiceName, line: string) => void;
  /** Called as each service first answers ready (the benchmark reads its CPU time there). */
  readonly onReady?: (service: ServiceName, process: RunningProcess) => void;
  /** Output lines kept per service (see RunningProcess.stdout). */
  readonly keepLines?: number;
  /** The folder holding the built services (`dist/apps`). */
  readonly distDir?: string;
  readonly readyTimeoutMs?: number;
}

export interface RunningStack {
  readonly edgeUrl: string;
  /** The local OpenID Connect issuer every service trusts (`<edge>/auth`). */
  readonly issuer: LocalIssuer;
  readonly table: RouteTable;
  readonly services: Readonly<Record<ServiceName, { readonly url: string; readonly process: RunningProcess }>>;
  /** Stops every service with SIGTERM (graceful shutdown) and the edge; resolves with their exit codes. */
  stop(): Promise<Record<ServiceName, number | string>>;
  /** Restarts one service from its bundle (same port, same database); resolves once it is ready again. */
  restart(service: ServiceName): Promise<void>;
}

/**
 * Refuses, before anything starts, a service port something else holds (say, `npx nx serve
 * user-service`): one line naming the service, the port and where the port comes from.
 */
export async function assertPortsFree(ports: Readonly<Record<string, number>>): Promise<void> {
  for (const [service, port] of Object.entries(ports)) {
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(
                `port ${port} of ${service} is already in use (npx nx serve ${service}, or another stack?): stop it; the port is ${service}'s localPort in deploy/services.json`,
                { cause: error },
              )
            : error,
        ),
      );
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  }
}

/**
 * Starts the built services (`nx build`) as node processes, as the container starts them, then the edge in front of them; resolves once every service is ready.
 */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const table = loadRoutes();
  const distDir = options.distDir ?? join(workspaceFile('nx.json', __dirname).replace(/nx\.json$/, ''), 'dist', 'apps');
  const dataRoot = options.dataRoot ?? '.data';
  const localPort = (service: ServiceName) => table.routes.find((r) => r.service === service)?.localPort ?? 0;
  const ports = Object.fromEntries(
    await Promise.all(
      SERVICES.map(async (s) => [s, options.ports === 'free' ? await freePort() : localPort(s)] as const),
    ),
  ) as Record<ServiceName, number>;
  if (options.ports !== 'free') await assertPortsFree(ports);
  const url = (service: ServiceName) => `http://127.0.0.1:${ports[service]}`;
  // The issuer's URL names the edge's port, so a free one is chosen before anything starts.
  const edgePort = options.edgePort === 0 ? await freePort() : (options.edgePort ?? 8080);
  const issuer = await localIssuer(edgePort, dataRoot);
  const tokens = new WorkloadTokens(issuer, join(dataRoot, 'tokens'));
  await tokens.start();
  const identity = { OIDC_ISSUER_URL: issuer.issuer, WORKLOAD_ISSUER_URL: issuer.issuer };

  const started: Partial<Record<ServiceName, { url: string; process: RunningProcess }>> = {};
  let edge: Edge | undefined;
  const stop = async () => {
    tokens.stop();
    await edge?.close();
    const codes = await Promise.all(
      SERVICES.map(async (s) => [s, (await started[s]?.process.stop('SIGTERM')) ?? 'not started'] as const),
    );
    return Object.fromEntries(codes) as Record<ServiceName, number | string>;
  };

  const spawn = (service: ServiceName) => {
    const dataDir = join(options.databaseRoot ?? dataRoot, service);
    mkdirSync(dataDir, { recursive: true });
    const databaseUrl = options.databaseUrls?.[service];
    const child = startNode(builtServiceArgs(join(distDir, service)), {
      env: {
        ...BUILT_SERVICE_ENV,
        PATH: process.env['PATH'],
        PORT: String(ports[service]),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }),
        // Where each service it calls listens, as its chart points it at their Services.
        ...Object.fromEntries(serviceEntry(service).calls.map((callee) => [urlVariable(callee), url(callee)])),
        ...identity,
        ...tokens.environment(service),
        ...options.env,
        ...options.serviceEnv?.[service],
      },
      onLine: options.onLine === undefined ? undefined : (line) => options.onLine?.(service, line),
      keepLines: options.keepLines,
    });
    started[service] = { url: url(service), process: child };
    return child;
  };
  const ready = (service: ServiceName, child: RunningProcess) =>
    waitForHttp(`${url(service)}/health/ready`, { process: child, timeoutMs: options.readyTimeoutMs, intervalMs: 20 });

  try {
    for (const service of SERVICES) spawn(service);
    await Promise.all(
      SERVICES.map(async (s) => {
        const child = started[s]?.process;
        await ready(s, child as RunningProcess);
        if (child !== undefined) options.onReady?.(s, child);
      }),
    );
    const upstreams = Object.fromEntries(SERVICES.map((s) => [s, new URL(url(s))]));
    edge = await startEdge({
      table,
      upstreams,
      port: edgePort,
      local: [{ path: '/auth', handle: (req, res, path) => issuer.handle(req, res, path) }, apiReference(upstreams)],
    });
  } catch (error) {
    await stop();
    throw error;
  }
  // One service stopped gracefully and started again from its (rebuilt) bundle, on the same port
  // with the same database: what `npm run dev` does after each build.
  const restart = async (service: ServiceName) => {
    await started[service]?.process.stop('SIGTERM');
    await ready(service, spawn(service));
  };
  return { edgeUrl: edge.url, issuer, table, services: started as RunningStack['services'], stop, restart };
}
