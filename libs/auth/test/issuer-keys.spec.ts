import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalIssuer } from '../src/issuer';
import { IssuerKeys, IssuerUnavailableError } from '../src/issuer-keys';
import { listenOnLoopback } from '@platform/testing';

// How the keys are fetched, against a real loopback issuer that misbehaves in one way per test.
let server: Server;
let issuerUrl: string;
let jwks: (res: ServerResponse) => void;
let signer: LocalIssuer;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: issuerUrl, jwks_uri: `${issuerUrl}/jwks` }));
    } else {
      jwks(res);
    }
  });
  await listenOnLoopback(server);
  issuerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  signer = await LocalIssuer.create(issuerUrl);
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
});

/** What asking fresh IssuerKeys for the key of a token of `signer` comes to: `key`, or the error. */
async function keyFor(options: { timeoutMs?: number } = {}) {
  const token = await signer.sign({ sub: 'ada', aud: 'platform-api' });
  const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as never;
  const keys = new IssuerKeys(issuerUrl, options);
  const outcome = await Promise.resolve(keys.getKey(header, { payload: '', signature: '' } as never)).then(
    () => 'key',
    (error: unknown) => error,
  );
  return { outcome };
}

it('fetches the discovery document and the key set over node:http (no fetch: it works under --jitless)', async () => {
  jwks = (res) => res.end(JSON.stringify(signer.jwks()));
  expect((await keyFor()).outcome).toBe('key');
});

it('refuses a key set larger than 256 KiB while it streams: the issuer counts as unavailable', async () => {
  jwks = (res) => {
    res.write('{"keys":[');
    res.end(`"${'x'.repeat(300 * 1024)}"]}`);
  };
  const { outcome } = await keyFor();
  expect(outcome).toBeInstanceOf(IssuerUnavailableError);
  expect(((outcome as Error).cause as Error).message).toMatch(/sent more than 262144 bytes/);
});

it('gives up on an issuer that trickles its answer past the timeout, however steadily it sends', async () => {
  jwks = (res) => {
    res.write('{"keys":[');
    const drip = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(drip));
  };
  const { outcome } = await keyFor({ timeoutMs: 400 });
  expect(outcome).toBeInstanceOf(IssuerUnavailableError);
  expect(((outcome as Error).cause as Error).message).toMatch(/did not answer within 400 ms/);
});
