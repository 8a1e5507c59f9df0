import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalIssuer } from '@platform/auth/issuer';
import { freePort, WORKSPACE_ROOT } from '@platform/testing';

// The issuer the kind smoke test runs (dist/tools/local-stack/issuer.cjs), served over HTTPS with a
// certificate a private CA signed, as tools/smoke/kind.sh makes it, and read by a Node.js process
// that trusts that CA the way the pods do (NODE_EXTRA_CA_CERTS, nothing else).
const cli = join(WORKSPACE_ROOT, 'dist/tools/local-stack/issuer.cjs');
let dir: string;
let issuer: ChildProcess | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'issuer-cli-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=test-ca',
    '-days',
    '1',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  openssl(
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=issuer',
    '-keyout',
    'issuer.key',
    '-out',
    'issuer.csr',
  );
  writeFileSync(join(dir, 'issuer.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'issuer.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'issuer.ext',
    '-out',
    'issuer.crt',
  );
});
afterAll(() => {
  issuer?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

/** What a process trusting only the public CAs and `extraCa` gets from `url` (status and body), or its TLS error. */
function getAs(url: string, extraCa?: string): { status?: number; body?: string; error?: string } {
  const script = `require('node:https').get(process.argv[1], (res) => { let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body }))); }).on('error', (e) => console.log(JSON.stringify({ error: e.code })));`;
  const out = execFileSync(process.execPath, ['-e', script, url], {
    env: { PATH: process.env['PATH'], ...(extraCa === undefined ? {} : { NODE_EXTRA_CA_CERTS: extraCa }) },
    encoding: 'utf8',
  });
  return JSON.parse(out) as { status?: number; body?: string; error?: string };
}

it('serves discovery and keys over HTTPS under the URL’s path, signing with the key directory it shares', async () => {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}/auth`;
  issuer = spawn(
    process.execPath,
    [
      cli,
      '--url',
      url,
      '--keys',
      join(dir, 'keys'),
      '--listen',
      `127.0.0.1:${port}`,
      '--tls-cert',
      join(dir, 'issuer.crt'),
      '--tls-key',
      join(dir, 'issuer.key'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    issuer?.stdout?.once('data', () => resolve());
    issuer?.once('exit', (code) => reject(new Error(`issuer.cjs exited ${code}`)));
  });

  // The one trust path the pods have: the CA in NODE_EXTRA_CA_CERTS. Without it, refused.
  expect(getAs(`${url}/.well-known/openid-configuration`).error).toMatch(
    /UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/,
  );
  const discovery = getAs(`${url}/.well-known/openid-configuration`, join(dir, 'ca.crt'));
  expect(discovery.status).toBe(200);
  expect(JSON.parse(discovery.body as string)).toMatchObject({ issuer: url, jwks_uri: `${url}/jwks.json` });

  // Whoever mints tokens with the same key directory (the journeys) signs with a key it publishes.
  const signer = await LocalIssuer.persistent(url, join(dir, 'keys'));
  const jwks = JSON.parse(getAs(`${url}/jwks.json`, join(dir, 'ca.crt')).body as string) as { keys: { kid: string }[] };
  expect(jwks.keys.map((k) => k.kid)).toContain(signer.currentKid);
  expect(getAs(`https://127.0.0.1:${port}/elsewhere`, join(dir, 'ca.crt')).status).toBe(404);
});

it.each([
  [['--keys', 'k'], /--url and --keys are required/],
  [['--url', 'https://127.0.0.1/auth', '--keys', 'k'], /an https:\/\/ URL needs --tls-cert and --tls-key/],
  [['--url', 'http://127.0.0.1/auth', '--keys', 'k', '--listen', 'nowhere'], /--listen is not host:port: nowhere/],
])('refuses %j with one line and its usage', (args, message) => {
  let stderr = '';
  try {
    execFileSync(process.execPath, [cli, ...args], { stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    stderr = (error as { stderr: string; status: number }).stderr;
    expect((error as { status: number }).status).toBe(64);
  }
  expect(stderr).toMatch(message);
  expect(stderr.split('\n')[0]).toMatch(/^issuer: /);
});
