// The traced fixture as a process of its own, started with a test's OTEL_* variables: it validates
// them as a service does, starts tracing, serves, prints its URL, and flushes its spans on SIGTERM.
import { loadConfig } from '@platform/config';
import { currentTracing, startTracing, tracesRequested, tracingSettings } from '../src/index';
import { startTracedServer } from './traced-server';

async function main(): Promise<void> {
  const settings = loadConfig(tracingSettings('traced-fixture'), process.env);
  startTracing({ serviceName: 'traced-fixture', serviceVersion: '9.9.9', enabled: tracesRequested(settings) });
  const server = await startTracedServer();
  process.stdout.write(
    `listening ${server.url} sdk-loaded=${Object.keys(require.cache).some((f) => f.includes('sdk-node'))}\n`,
  );
  process.once('SIGTERM', () => {
    void (async () => {
      await server.close();
      await currentTracing().shutdown();
      process.exit(0);
    })();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
