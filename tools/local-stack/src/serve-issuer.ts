// The local issuer for a service served on its own (`npx nx serve <service>` starts it first, as a
// continuous task): the same issuer `npm start` runs, at the same URL (http://127.0.0.1:8080/auth,
// EDGE_PORT moves it) with the same keys (.data/auth), so `npm run token` tokens work against a
// service served alone exactly as through the stack. It also writes order-service's own tokens
// for the services it calls (.data/tokens), as the stack does. When the stack already runs there,
// it leaves the stack's issuer in charge and only waits. Stops on SIGTERM or SIGINT.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { localIssuer, localIssuerUrl, WorkloadTokens } from '@platform/local-stack';

const DATA_ROOT = '.data';

/** Whether the local issuer already answers at `url` (the running stack's edge). */
async function answering(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(1_000) });
    return res.ok && ((await res.json()) as { issuer?: string }).issuer === url;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const edgePort = Number(process.env['EDGE_PORT'] ?? 8080);
  const url = localIssuerUrl(edgePort);
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  if (await answering(url)) {
    process.stdout.write(`local issuer: ${url} is the running stack's; using it\n`);
    await stopped;
    return;
  }
  const issuer = await localIssuer(edgePort, DATA_ROOT);
  const base = new URL(url).pathname;
  const server = createServer(issuer.handler(base));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${edgePort} is taken by something else than the local stack; EDGE_PORT moves the issuer`)
          : error,
      ),
    );
    server.listen(edgePort, '127.0.0.1', resolve);
  });
  const tokens = new WorkloadTokens(issuer, join(DATA_ROOT, 'tokens'));
  await tokens.start();
  process.stdout.write(`local issuer: ${url} (npm run --silent token -- --sub <you> mints tokens it signs)\n`);
  await stopped;
  tokens.stop();
  server.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`local issuer: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
