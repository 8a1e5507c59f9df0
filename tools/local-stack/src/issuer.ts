// `node dist/tools/local-stack/issuer.cjs --url <issuer URL> --keys <dir> [--listen <host:port>]
//  [--tls-cert <pem> --tls-key <pem>]`: the local issuer alone, for a test cluster (the kind smoke
// test, tools/smoke): its discovery document and keys served at the URL's path, over HTTPS when
// given a certificate (services refuse a plain-HTTP issuer anywhere but loopback), signing with the
// keys in <dir> (made on first use), which whoever mints the tokens shares. Never a production
// issuer: it publishes whatever keys that directory holds. Stops on SIGTERM or SIGINT.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { parseArgs } from 'node:util';
import { LocalIssuer } from '@platform/auth/issuer';

const USAGE =
  'usage: issuer.cjs --url <issuer URL> --keys <dir> [--listen <host:port>] [--tls-cert <pem> --tls-key <pem>]';

function fail(message: string): never {
  process.stderr.write(`issuer: ${message}\n${USAGE}\n`);
  process.exit(64);
}

function options() {
  try {
    return parseArgs({
      options: {
        url: { type: 'string' },
        keys: { type: 'string' },
        listen: { type: 'string', default: '127.0.0.1:8443' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    fail((error as Error).message);
  }
}

async function main(): Promise<void> {
  const values = options();
  if (values.url === undefined || values.keys === undefined) fail('--url and --keys are required');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    fail(`--url is not a URL: ${values.url}`);
  }
  const tls = values['tls-cert'] !== undefined || values['tls-key'] !== undefined;
  if (tls && (values['tls-cert'] === undefined || values['tls-key'] === undefined)) {
    fail('--tls-cert and --tls-key go together');
  }
  if ((url.protocol === 'https:') !== tls) fail('an https:// URL needs --tls-cert and --tls-key, and only it');
  const [, host, port] = /^([^:]+|\[[^\]]+\]):(\d{1,5})$/.exec(values.listen) ?? [];
  if (host === undefined || port === undefined) fail(`--listen is not host:port: ${values.listen}`);

  const issuer = await LocalIssuer.persistent(url.href.replace(/\/$/, ''), values.keys);
  const base = url.pathname.replace(/\/$/, '');
  const handle = issuer.handler(base);
  const server = tls
    ? createHttpsServer(
        { cert: readFileSync(values['tls-cert'] as string), key: readFileSync(values['tls-key'] as string) },
        handle,
      )
    : createHttpServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(port), host.replace(/^\[|\]$/g, ''), resolve);
  });
  process.stdout.write(`issuer ${issuer.issuer} listening on ${values.listen}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => fail((error as Error).message));
