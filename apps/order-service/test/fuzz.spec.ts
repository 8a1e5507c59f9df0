import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearer, TestIssuer } from '@platform/auth/testing';
import { listenOnLoopback, STARTUP_HOOK_TIMEOUT_MS } from '@platform/testing';
import { describeFinding, fuzz, type FuzzRequest, type FuzzTarget, httpSender } from '@platform/contracts/testing';
import { api } from '../src/api';
import { type RunningService, startPaymentService, startUserService } from './dependencies';
import { startTestService, type TestService } from './harness';

// order-service, with the real user-service and payment-service, held to its contract by
// generated requests, valid and broken (the rules: fuzz in @platform/contracts/testing). The seed
// is fixed so that a run is reproducible.
const SEED = 20261127;
const json = { 'content-type': 'application/json' };
const ID = '2f9a3b4c-5d6e-4f70-8a91-b2c3d4e5f607';

/** What the fuzzer found before it was fixed, replayed on every run. */
const REGRESSIONS: FuzzRequest[] = [
  // 500: the validator took a `urn:uuid:` id that PostgreSQL refuses; in POST /orders it was a
  // 503 with Retry-After (user-service answered 500), asking to retry what can never succeed.
  { method: 'GET', path: `/orders/urn:uuid:${ID}`, headers: {} },
  { method: 'GET', path: `/orders?userId=urn:uuid:${ID}`, headers: {} },
  {
    method: 'POST',
    path: '/orders',
    headers: json,
    body: `{"userId":"urn:uuid:${ID}","currency":"EUR","items":[{"sku":"A","quantity":1,"unitPriceCents":100}]}`,
  },
  // A bad percent-encoding: 400 without x-request-id (and "requestId":""), no log line, no metric.
  { method: 'GET', path: '/orders/%ff%fe', headers: {} },
  { method: 'POST', path: '/orders/%E0%A4%A/pay', headers: json, body: '{}' },
  // A body Express refuses before routing: counted and logged under route "unmatched".
  { method: 'POST', path: '/orders', headers: json, body: '{"a":' },
  { method: 'POST', path: '/orders', headers: { 'content-type': 'text/plain' }, body: 'a=b' },
  { method: 'POST', path: '/orders', headers: json, body: JSON.stringify({ filler: 'x'.repeat(110 * 1024) }) },
];

let issuer: TestIssuer;
let users: RunningService;
let payments: RunningService;
let service: TestService;
let server: Server;
let target: FuzzTarget;

beforeAll(async () => {
  issuer = await TestIssuer.start();
  [users, payments] = await Promise.all([startUserService(issuer), startPaymentService(issuer)]);
  service = await startTestService('pglite', { issuer, userServiceUrl: users.url, paymentServiceUrl: payments.url });
  server = createServer((req, res) => service.server.emit('request', req, res));
  await listenOnLoopback(server);
  const buyer = bearer(await issuer.person('fuzz-buyer'));
  const created = await fetch(`${users.url}/users`, {
    method: 'POST',
    headers: { ...json, ...buyer },
    body: JSON.stringify({ email: 'fuzz-buyer@example.com', name: 'Fuzz' }),
  });
  const send = httpSender(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  target = {
    document: api.document,
    send,
    ids: [((await created.json()) as { id: string }).id],
    logs: () => service.logs.map((line) => JSON.parse(line) as Record<string, unknown>),
    metrics: async () => String((await send({ method: 'GET', path: '/metrics', headers: {} })).body),
    headers: buyer,
    // Every kind of caller: the buyer, an administrator, another person, a workload, no token, a forged one.
    callers: [
      buyer,
      buyer,
      bearer(await issuer.admin()),
      bearer(await issuer.person('fuzz-other')),
      bearer(await issuer.workload('order-service')),
      { authorization: '' },
      bearer(`${(await issuer.person('fuzz-buyer')).slice(0, -8)}AAAAAAAA`),
    ],
  };
}, STARTUP_HOOK_TIMEOUT_MS);
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await service.close();
  await Promise.all([users.process.stop(), payments.process.stop()]);
  await issuer.close();
});

it('keeps every rule under generated valid and broken requests, and for every case it once broke', async () => {
  const findings = await fuzz(target, { seed: SEED, runs: 600, regressions: REGRESSIONS });
  expect(findings.map(describeFinding)).toEqual([]);
}, 90_000);
