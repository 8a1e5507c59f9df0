import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  type RunningProcess,
  startNode,
  waitForHttp,
  WORKSPACE_ROOT,
  builtServiceArgs,
  STARTUP_HOOK_TIMEOUT_MS,
} from '@platform/testing';
import { base64url } from 'jose';
import fc from 'fast-check';
import { TestIdentity } from './identity';

// Garbage at every endpoint of every service: a fixed list of known-nasty inputs plus a generated
// corpus. Never a 5xx, never a crash, always problem details, no prototype pollution, and memory
// back near its baseline afterwards.

interface Service {
  url: string;
  process: RunningProcess;
}
const services: Record<string, Service> = {};
const tried: Record<string, number> = {};
let dataRoot: string;
let identity: TestIdentity;
/** A caller each service lets through to validation: an administrator, or order-service for payments. */
const callers: Record<string, Record<string, string>> = {};

async function start(name: string, env: Record<string, string> = {}): Promise<Service> {
  const port = await freePort();
  const dist = join(WORKSPACE_ROOT, 'dist/apps', name);
  const child = startNode(builtServiceArgs(dist), {
    env: {
      PATH: process.env['PATH'],
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(dataRoot, name),
      LOG_LEVEL: 'warn',
      NODE_OPTIONS: '--max-old-space-size=64 --max-semi-space-size=2',
      ...identity.env(name),
      ...env,
    },
    keepLines: 200,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health/ready`, { process: child });
  return { url, process: child };
}

const rssKiB = (s: Service) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${s.process.child.pid}/status`, 'utf8'))?.[1] ?? 0);

beforeAll(async () => {
  dataRoot = mkdtempSync(join(tmpdir(), 'hostile-'));
  identity = await TestIdentity.start();
  const admin = await identity.admin();
  callers['user-service'] = admin;
  callers['order-service'] = admin;
  callers['payment-service'] = await identity.workload('payment-service');
  const [users, payments] = await Promise.all([start('user-service'), start('payment-service')]);
  services['user-service'] = users;
  services['payment-service'] = payments;
  services['order-service'] = await start('order-service', {
    USER_SERVICE_URL: users.url,
    PAYMENT_SERVICE_URL: payments.url,
  });
}, STARTUP_HOOK_TIMEOUT_MS);

afterAll(async () => {
  const codes = await Promise.all(Object.values(services).map((s) => s.process.stop('SIGTERM')));
  await identity.close();
  rmSync(dataRoot, { recursive: true, force: true });
  const out = join(WORKSPACE_ROOT, 'dist/resilience');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'hostile-input.json'), `${JSON.stringify({ requestsPerEndpoint: tried }, null, 2)}\n`);
  process.stdout.write(
    `Hostile input: ${Object.values(tried).reduce((a, b) => a + b, 0)} requests: ${JSON.stringify(tried)}\n`,
  );
  expect(codes).toEqual([0, 0, 0]);
});

type Body = { raw: string; contentType?: string };

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const FIXED_BODIES: Body[] = [
  { raw: '' },
  { raw: '{' },
  { raw: '{"a":' },
  { raw: 'null' },
  { raw: '[]' },
  { raw: '"string"' },
  { raw: '12' },
  { raw: 'true' },
  { raw: '{"__proto__":{"polluted":"yes"}}' },
  { raw: '{"constructor":{"prototype":{"polluted":"yes"}}}' },
  { raw: '{"email":"a@b.co","email":"c@d.co","name":"dup"}' },
  { raw: '{"name":"nul\\u0000byte","email":"x@y.zz"}' },
  { raw: '{"name":"\\ud800\\udbff lone surrogates","email":"x@y.zz"}' },
  { raw: '{"amountCents":1e400,"currency":"EUR","reference":"r","method":{"type":"card","token":"tok_visa"}}' },
  { raw: '{"amountCents":-1,"currency":"EUR","reference":"r","method":{"type":"card","token":"tok_visa"}}' },
  { raw: '{"amountCents":10.5,"currency":"EUR","reference":"r","method":{"type":"card","token":"tok_visa"}}' },
  { raw: '{"amountCents":"100","currency":"EUR","reference":"r","method":{"type":"card","token":"tok_visa"}}' },
  {
    raw: JSON.stringify({
      items: [{ sku: 'a', quantity: 1e308, unitPriceCents: -0 }],
      currency: 'EUR',
      userId: randomUUID(),
    }),
  },
  { raw: JSON.stringify({ name: 'x'.repeat(5_000), email: `${'a'.repeat(300)}@b.co` }) },
  {
    raw: JSON.stringify({
      paymentMethod: { type: 'card', token: 'tok_visa', extra: { deep: { deeper: [1, 2, { x: null }] } } },
    }),
  },
  { raw: deep(5_000) },
  { raw: `{"a":${deep(2_000)}}` },
  { raw: JSON.stringify({ big: 'x'.repeat(150 * 1024) }) },
  { raw: '{"email":"a@b.co","name":"ok"}', contentType: 'text/plain' },
  { raw: '<xml/>', contentType: 'application/xml' },
  { raw: 'email=a%40b.co', contentType: 'application/x-www-form-urlencoded' },
  { raw: '{"email":"a@b.co","name":"ok"}', contentType: 'application/json; charset=utf-16' },
];

const generatedBodies = fc.sample(
  fc.oneof(
    fc.jsonValue().map((v) => ({ raw: JSON.stringify(v) })),
    fc.object({ maxDepth: 3 }).map((v) => ({ raw: JSON.stringify(v) ?? 'null' })),
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => ({ raw: s })),
    fc
      .record({
        email: fc.string({ unit: 'binary', maxLength: 80 }),
        name: fc.string({ unit: 'binary', maxLength: 120 }),
      })
      .map((v) => ({ raw: JSON.stringify(v) })),
    fc
      .record({
        amountCents: fc.oneof(fc.integer(), fc.double()),
        currency: fc.string({ maxLength: 5 }),
        reference: fc.string({ unit: 'binary', maxLength: 300 }),
        method: fc.record({ type: fc.string(), token: fc.string() }),
      })
      .map((v) => ({ raw: JSON.stringify(v) })),
  ),
  { numRuns: 40, seed: 20261126 },
);
const hostileIds = [
  'not-a-uuid',
  '%00',
  '..%2F..%2Fetc%2Fpasswd',
  'x'.repeat(2_000),
  '%E2%80%AE',
  randomUUID(),
  '1 OR 1=1',
  '%ff%fe',
];
const hostileQueries = [
  'limit=-1',
  'limit=1e9',
  'limit=abc',
  'cursor=%00',
  'cursor=' + 'A'.repeat(5_000),
  'limit=1&limit=2',
  '__proto__[polluted]=yes',
  'constructor[prototype][polluted]=yes',
  'status=PAID%00',
  'userId=x&reference=%F0%9F%92%A5',
];
const hostileHeaders: Record<string, string>[] = [
  {},
  { 'idempotency-key': '' },
  { 'idempotency-key': 'k'.repeat(300) },
  { 'idempotency-key': ' spaces and !@#$%^&*() symbols ' },
  { 'x-request-id': '<script>' },
  { 'content-length': 'abc' },
];

async function hit(
  endpoint: string,
  service: string,
  method: string,
  path: string,
  body?: Body,
  headers: Record<string, string> = {},
) {
  const key = `${service} ${method} ${endpoint}`;
  tried[key] = (tried[key] ?? 0) + 1;
  let res: Response;
  try {
    res = await fetch(`${services[service]?.url}${path}`, {
      method,
      headers: {
        ...callers[service],
        ...(body ? { 'content-type': body.contentType ?? 'application/json' } : {}),
        ...headers,
      },
      body: body?.raw,
    });
  } catch (error) {
    // A request the server refuses at the HTTP level (a malformed header the client itself sends) is not a crash.
    const child = services[service]?.process;
    if (child?.child.exitCode !== null || child.child.signalCode !== null) {
      throw new Error(
        `${service} crashed on ${method} ${path}: ${(error as Error).message}\n${child?.stderr.slice(-20).join('\n')}\n${child?.stdout.slice(-5).join('\n')}`,
        { cause: error },
      );
    }
    return;
  }
  const text = await res.text();
  const where = `${service} ${method} ${path.slice(0, 80)} ${body?.raw.slice(0, 60) ?? ''}`;
  if (res.status >= 500) throw new Error(`${where}: ${res.status} ${text.slice(0, 200)}`);
  if (res.status >= 400) {
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = JSON.parse(text) as Record<string, unknown>;
    expect(problem).toMatchObject({
      type: expect.stringMatching(/^urn:problem-type:/),
      title: expect.any(String),
      status: res.status,
      detail: expect.any(String),
    });
  }
}

const ENDPOINTS: [string, string, string][] = [
  ['user-service', 'POST', '/users'],
  ['user-service', 'GET', '/users/{id}'],
  ['user-service', 'GET', '/users'],
  ['user-service', 'PATCH', '/users/{id}'],
  ['user-service', 'DELETE', '/users/{id}'],
  ['order-service', 'POST', '/orders'],
  ['order-service', 'GET', '/orders/{id}'],
  ['order-service', 'GET', '/orders'],
  ['order-service', 'POST', '/orders/{id}/pay'],
  ['order-service', 'POST', '/orders/{id}/cancel'],
  ['payment-service', 'POST', '/payments'],
  ['payment-service', 'GET', '/payments/{id}'],
  ['payment-service', 'GET', '/payments'],
  ['payment-service', 'POST', '/payments/{id}/refunds'],
];

/** Tokens made to hurt: huge, deeply nested, of the wrong types, unsigned, or not tokens at all. */
async function abusiveTokens(audience: string): Promise<string[]> {
  const issuer = identity.issuer;
  const now = Math.floor(Date.now() / 1000);
  const nested = (depth: number) => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  };
  const unsigned = (claims: object) =>
    `${base64url.encode(JSON.stringify({ alg: 'none' }))}.${base64url.encode(JSON.stringify(claims))}.`;
  const sign = (extra: Record<string, unknown>) => issuer.person('hostile', { aud: audience, extra });
  return [
    'x'.repeat(7_000),
    `${'a'.repeat(3_000)}.${'b'.repeat(3_000)}.${'c'.repeat(1_000)}`,
    '....',
    'e30.e30.e30',
    unsigned({ iss: issuer.url, sub: 'root', aud: audience, exp: now + 600, scope: 'platform:admin' }),
    `${base64url.encode('{"alg":"RS256","kid":' + '['.repeat(3_000) + ']'.repeat(3_000) + '}')}.e30.sig`,
    await sign({ deep: nested(500) }),
    await sign({ sub: 42 }),
    await sign({ sub: { id: 'x' } }),
    await sign({ sub: 'nul\u0000byte' }),
    await sign({ scope: { admin: true } }),
    await sign({ scope: 'platform:admin '.repeat(300) }),
    await sign({ scp: [1, 2, 3] }),
    await sign({ aud: 12 }),
    await sign({ exp: 'tomorrow' }),
    await sign({ nbf: [now] }),
    await sign({ iss: ['a', 'b'] }),
  ];
}

describe('hostile input', () => {
  const baseline: Record<string, number> = {};
  beforeAll(() => {
    for (const [name, service] of Object.entries(services)) baseline[name] = rssKiB(service);
  });

  it.each(ENDPOINTS)(
    '%s %s %s never answers 5xx and always answers problem details',
    async (service, method, template) => {
      const paths = template.includes('{id}') ? hostileIds.map((id) => template.replace('{id}', id)) : [template];
      for (const path of paths) {
        if (method === 'GET' && !template.includes('{id}')) {
          for (const query of hostileQueries) await hit(template, service, method, `${path}?${query}`);
          continue;
        }
        for (const headers of hostileHeaders) await hit(template, service, method, path, { raw: '{}' }, headers);
        const bodies = path === paths[0] ? [...FIXED_BODIES, ...generatedBodies] : FIXED_BODIES.slice(0, 6);
        for (const body of bodies)
          await hit(
            template,
            service,
            method,
            path,
            body,
            method === 'POST' && template.startsWith('/payments') ? { 'idempotency-key': randomUUID() } : {},
          );
      }
    },
    120_000,
  );

  it.each(ENDPOINTS)(
    '%s %s %s answers abusive bearer tokens with 401 or 403 problem details, never 5xx',
    async (service, method, template) => {
      const audience = service === 'payment-service' ? 'payment-service' : 'platform-api';
      const path = template.replace('{id}', randomUUID());
      for (const token of await abusiveTokens(audience)) {
        await hit(template, service, method, path, method === 'GET' ? undefined : { raw: '{}' }, {
          authorization: `Bearer ${token}`,
        });
      }
      for (const authorization of ['Bearer', 'Basic abc', 'bearer  ' + 'x'.repeat(100), 'Bearer a\tb', 'Bearer 😀']) {
        await hit(template, service, method, path, undefined, { authorization });
      }
    },
    60_000,
  );

  it('leaves no prototype polluted and every service still serving normally', async () => {
    const user = await fetch(`${services['user-service']?.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await identity.person(`after-${randomUUID()}`)) },
      body: JSON.stringify({ email: `after-${randomUUID()}@example.com`, name: 'After' }),
    });
    expect(user.status).toBe(201);
    expect(Object.keys((await user.json()) as object).sort()).toEqual([
      'createdAt',
      'email',
      'id',
      'name',
      'owner',
      'updatedAt',
    ]);
    for (const service of Object.values(services)) {
      const ready = await fetch(`${service.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(JSON.stringify(await ready.json())).not.toContain('polluted');
    }
  });

  it('brings memory back near its baseline', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const [name, service] of Object.entries(services)) {
      const now = rssKiB(service);
      expect({ name, growthKiB: now - (baseline[name] ?? 0) }).toEqual({ name, growthKiB: expect.any(Number) });
      expect(now).toBeLessThan((baseline[name] ?? 0) * 1.5 + 30 * 1024);
    }
  });
});
