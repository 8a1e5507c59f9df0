import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearer, TestIssuer } from '@platform/auth/testing';
import { listenOnLoopback } from '@platform/testing';
import { describeFinding, fuzz, type FuzzRequest, type FuzzTarget, httpSender } from '@platform/contracts/testing';
import { api } from '../src/api';
import { startTestService, type TestService } from './harness';

// user-service held to its contract by generated requests, valid and broken (the rules: fuzz in
// @platform/contracts/testing). The seed is fixed so that a run is reproducible.
const SEED = 20261127;
const json = { 'content-type': 'application/json' };
const ID = '2f9a3b4c-5d6e-4f70-8a91-b2c3d4e5f607';

/** What the fuzzer found before it was fixed, replayed on every run. */
const REGRESSIONS: FuzzRequest[] = [
  // 500: the validator took a `urn:uuid:` id that PostgreSQL refuses.
  { method: 'GET', path: `/users/urn:uuid:${ID}`, headers: {} },
  { method: 'PATCH', path: `/users/urn:uuid:${ID}`, headers: json, body: '{"name":"ZTh+U"}' },
  { method: 'DELETE', path: `/users/urn:uuid:${ID}`, headers: {} },
  // C1 control characters (U+0085, the U+009B terminal escape) passed the printable-text rule.
  { method: 'POST', path: '/users', headers: json, body: '{"email":"c1@example.com","name":"Ada \\u0085 L"}' },
  { method: 'POST', path: '/users', headers: json, body: '{"email":"csi@example.com","name":"\\u009b31m"}' },
  // Bodies on operations that read none, and bodies that are no JSON object.
  { method: 'GET', path: '/users?limit=5', headers: json, body: '{"a":' },
  { method: 'DELETE', path: `/users/${ID}`, headers: { 'content-type': 'text/plain' }, body: 'a=b' },
  { method: 'POST', path: '/users', headers: json, body: '' },
  { method: 'POST', path: '/users', headers: json, body: 'null' },
  { method: 'POST', path: '/users', headers: { 'content-type': 'application/json; charset=latin1' }, body: '{}' },
  { method: 'GET', path: '/users/%ff%fe', headers: {} },
];

let issuer: TestIssuer;
let service: TestService;
let server: Server;
let target: FuzzTarget;

beforeAll(async () => {
  issuer = await TestIssuer.start();
  service = await startTestService('pglite', issuer);
  server = createServer(service.app);
  await listenOnLoopback(server);
  const send = httpSender(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  target = {
    document: api.document,
    send,
    logs: () => service.logs.map((line) => JSON.parse(line) as Record<string, unknown>),
    metrics: async () => String((await send({ method: 'GET', path: '/metrics', headers: {} })).body),
    headers: bearer(await issuer.admin()),
    // Every kind of caller: an administrator, a person, order-service, another pod, no token, a forged one.
    callers: [
      bearer(await issuer.admin()),
      bearer(await issuer.person('fuzz-person')),
      bearer(await issuer.workload('user-service')),
      bearer(await issuer.workload('user-service', 'system:serviceaccount:default:default')),
      { authorization: '' },
      bearer(`${(await issuer.admin()).slice(0, -8)}AAAAAAAA`),
    ],
  };
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await service.close();
  await issuer.close();
});

it('keeps every rule under generated valid and broken requests, and for every case it once broke', async () => {
  const findings = await fuzz(target, { seed: SEED, runs: 1_000, regressions: REGRESSIONS });
  expect(findings.map(describeFinding)).toEqual([]);
}, 60_000);
