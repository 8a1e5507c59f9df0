// `npm start`: the whole system on this machine, behind an edge that routes like the production ALB.
// `npm run dev` (--watch): the same, and each service is rebuilt on a change to its sources or its
// libraries (esbuild in watch mode) and restarted in place, its port and embedded database kept.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { SERVICES, startStack, watchBuilds, workspaceFile, type ServiceName } from '@platform/local-stack';

const edgePort = Number(process.env['EDGE_PORT'] ?? 8080);
if (!Number.isInteger(edgePort) || edgePort < 0 || edgePort > 65535) {
  process.stderr.write(
    `Invalid configuration: EDGE_PORT must be an integer from 0 to 65535 (got ${JSON.stringify(process.env['EDGE_PORT'])}).\n`,
  );
  process.exit(78);
}

/** The stack's embedded databases: apart from those of `nx serve` (.data/<service>). */
const DATABASES = '.data/stack';

const width = Math.max(...SERVICES.map((s) => s.length));
const colours: Record<ServiceName, string> = { 'user-service': '36', 'order-service': '35', 'payment-service': '33' };
const tty = process.stdout.isTTY;

/** One readable line per log line: time, service, level, message, and the request fields. */
function show(service: ServiceName, line: string): void {
  let text = line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const time = String(entry['time'] ?? '').slice(11, 19);
    const level = String(entry['level'] ?? '')
      .toUpperCase()
      .padEnd(5);
    const request =
      entry['msg'] === 'request completed'
        ? ` ${entry['method']} ${entry['route']} ${entry['status_code']} ${entry['duration_ms']} ms`
        : '';
    text = `${time} ${level} ${entry['msg']}${request}`;
  } catch {
    // not JSON (a crash before the logger existed): show it as it is
  }
  const name = service.padEnd(width);
  process.stdout.write(`${tty ? `\x1b[${colours[service] ?? '32'}m${name}\x1b[0m` : name} ${text}\n`);
}

async function main(): Promise<void> {
  process.stdout.write(`Starting ${SERVICES.join(', ')} (embedded databases in ${DATABASES}/)…\n`);
  const stack = await startStack({
    edgePort,
    // Ports and databases of their own, so `npx nx serve <service>` (on its deploy/services.json
    // port, its database in .data/<service>) runs beside the stack; the edge is the way in.
    ports: 'free',
    databaseRoot: DATABASES,
    env: {
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
      ...(process.env['OTEL_EXPORTER_OTLP_ENDPOINT']
        ? { OTEL_EXPORTER_OTLP_ENDPOINT: process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] }
        : {}),
    },
    onLine: show,
  });
  const lines = [
    '',
    'Ready.',
    ...SERVICES.map((s) => `  ${s.padEnd(width)}  ${stack.services[s]?.url ?? '(not started)'}`),
    `  ${'edge'.padEnd(width)}  ${stack.edgeUrl}  (${stack.table.routes.map((r) => r.path).join(', ')}, /health)`,
    `  ${'issuer'.padEnd(width)}  ${stack.issuer.issuer}  (local only: npm run --silent token -- --sub <you>)`,
    `  ${'reference'.padEnd(width)}  ${stack.edgeUrl}/docs  (local only: the API reference of all three)`,
    '',
    'Try (in another terminal):',
    `  TOKEN=$(npm run --silent token -- --sub ada)`,
    `  curl -s -X POST ${stack.edgeUrl}/users -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"email":"ada@example.com","name":"Ada"}'`,
    `  curl -s ${stack.edgeUrl}/users/me -H "authorization: Bearer $TOKEN"`,
    '  The whole journey, from a profile to a paid order, its cancel and the refund, runs as it stands: README.md, "Two commands".',
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n'));

  const stopWatching = process.argv.includes('--watch') ? watchAndRestart(stack) : () => undefined;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    stopWatching();
    process.stdout.write('\nStopping…\n');
    const codes = await stack.stop();
    process.stdout.write(`Stopped (${SERVICES.map((s) => `${s} exit ${codes[s]}`).join(', ')}).\n`);
    process.exit(Object.values(codes).every((code) => code === 0) ? 0 : 1);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

/**
 * `npm run dev`: one esbuild watcher per service (`nx run <service>:build --watch`, which follows
 * every file the bundle is made of, libraries included), and a restart of the service whenever its
 * bundle is written again. Restarts of one service never overlap; a change during one restarts it
 * once more.
 */
function watchAndRestart(stack: Awaited<ReturnType<typeof startStack>>): () => void {
  const root = workspaceFile('nx.json', __dirname).replace(/nx\.json$/, '');
  let watching = true;
  const builders: ChildProcess[] = SERVICES.map((service) => {
    const builder = spawn(
      process.execPath,
      [
        join(root, 'node_modules/nx/dist/bin/nx.js'),
        'run',
        `${service}:build`,
        '--watch',
        // The running service's bundle stays in place while the next one is built.
        '--deleteOutputPath=false',
        // Each watcher builds its own service only (order-service's build would otherwise start
        // the builds of the services it depends on, which the other watchers already run).
        '--excludeTaskDependencies',
        '--output-style=static',
      ],
      { cwd: root, env: { ...process.env, NX_DAEMON: 'false', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // Only what a developer must see: build errors, and a watcher that stopped. Both streams are
    // read to the end: a pipe nobody reads fills up and blocks the watcher.
    const output: string[] = [];
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        output.push(line);
        if (output.length > 20) output.shift();
        if (/error/i.test(line)) process.stdout.write(`${service} build: ${line}\n`);
      }
    };
    builder.stdout?.on('data', collect);
    builder.stderr?.on('data', collect);
    builder.once('exit', (code, signal) => {
      if (watching)
        process.stdout.write(
          `${service} build watcher stopped (${signal ?? code}); changes no longer reload it:\n${output.join('\n')}\n`,
        );
    });
    return builder;
  });
  const busy = new Map<ServiceName, Promise<void>>();
  const pending = new Set<ServiceName>();
  const restart = (service: ServiceName): void => {
    if (busy.has(service)) {
      pending.add(service);
      return;
    }
    process.stdout.write(`${service} rebuilt: restarting it…\n`);
    const started = performance.now();
    const run = stack.restart(service).then(
      () => void process.stdout.write(`${service} ready again (${Math.round(performance.now() - started)} ms).\n`),
      (error: unknown) => void process.stdout.write(`${service} did not come back: ${(error as Error).message}\n`),
    );
    busy.set(service, run);
    void run.finally(() => {
      busy.delete(service);
      if (pending.delete(service)) restart(service);
    });
  };
  const stopWatching = watchBuilds(join(root, 'dist/apps'), SERVICES, restart);
  process.stdout.write('Watching the sources: a change rebuilds and restarts its service.\n');
  return () => {
    watching = false;
    stopWatching();
    for (const builder of builders) builder.kill('SIGTERM');
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${(error as Error).message}\n`);
  process.exit(1);
});
