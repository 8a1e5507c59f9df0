import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PERSON_SCOPES, PLATFORM_AUDIENCE } from '@platform/auth';
import { type RunningStack, startStack } from '@platform/local-stack';
import { freePort, JITLESS, WORKSPACE_ROOT, STARTUP_HOOK_TIMEOUT_MS } from '@platform/testing';
import pg from 'pg';
import { HAS_POSTGRES } from './postgres';

// About a minute of mixed traffic through the edge, every service logging every request at debug,
// the way production is configured otherwise (the chart's V8 flags; PostgreSQL with a password when
// the machine has the server). Error rate 0; RSS of each service grows less than 10 % from the end
// of the warm-up to the end; and no secret the clients sent or the services hold reaches any log
// line or error response.
const WARM_UP_MS = 20_000;
const SOAK_MS = 45_000;
const CLIENTS = 6;
const SECRETS = {
  card: '4242424242424242',
  cardGrouped: '5555 5555 5555 4444',
  cookie: 'session=s3ss10n-v4lu3',
  token: 'tok_mastercard',
  databasePassword: 'pA55w0rd-in-url',
};
const SCRIPT = join(WORKSPACE_ROOT, 'tools/postgres/throwaway.sh');
// The services run on PostgreSQL when the machine has the server binaries (under CI it must).
const hasPostgres = HAS_POSTGRES;

let stack: RunningStack;
/** order-service's stand-in token, for the calls only it may make (a charge with a card number in it). */
let orderService: Record<string, string>;
let dataRoot: string;
let pgDir: string | undefined;
const leaks: string[] = [];
let logLines = 0;

/** A JSON Web Token, whoever's: none may ever be logged or answered. */
const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{16,}/;

function scan(where: string, text: string) {
  if (JWT.test(text)) leaks.push(`a bearer token in ${where}: ${text.slice(0, 200)}`);
  for (const [name, secret] of Object.entries(SECRETS)) {
    if (
      text.includes(secret) ||
      (name.startsWith('card') && text.replace(/\D/g, '').includes(secret.replace(/\D/g, '')))
    )
      leaks.push(`${name} in ${where}: ${text.slice(0, 200)}`);
  }
}

const rssKiB = (pid: number | undefined) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

beforeAll(async () => {
  dataRoot = mkdtempSync(join(tmpdir(), 'soak-'));
  let databaseUrls: Record<string, string> | undefined;
  if (hasPostgres) {
    pgDir = mkdtempSync(join(tmpdir(), 'soak-pg-'));
    const url = execFileSync(SCRIPT, ['start', pgDir, String(await freePort())], { encoding: 'utf8' }).trim();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    databaseUrls = {};
    for (const service of ['user-service', 'order-service', 'payment-service']) {
      const name = `soak_${service.replace('-service', '')}`;
      await admin.query(`CREATE DATABASE ${name}`);
      // Trust authentication ignores the password, but it is in every service's DATABASE_URL.
      databaseUrls[service] = url
        .replace('postgres@', `postgres:${SECRETS.databasePassword}@`)
        .replace(/\/postgres$/, `/${name}`);
    }
    await admin.end();
  }
  stack = await startStack({
    ports: 'free',
    edgePort: 0,
    dataRoot,
    databaseUrls,
    env: { LOG_LEVEL: 'debug', NODE_OPTIONS: `${JITLESS} --max-old-space-size=64 --max-semi-space-size=2` },
    keepLines: 50,
    onLine: (service, line) => {
      logLines++;
      scan(`${service} log`, line);
    },
  });
  orderService = {
    authorization: `Bearer ${await stack.issuer.sign({
      sub: 'system:serviceaccount:order-service:order-service',
      aud: 'payment-service',
    })}`,
  };
}, STARTUP_HOOK_TIMEOUT_MS);

afterAll(async () => {
  const codes = await stack?.stop();
  rmSync(dataRoot, { recursive: true, force: true });
  if (pgDir !== undefined) {
    execFileSync(SCRIPT, ['stop', pgDir]);
    rmSync(pgDir, { recursive: true, force: true });
  }
  expect(Object.values(codes ?? {}).every((code) => code === 0)).toBe(true);
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.edgeUrl}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      cookie: SECRETS.cookie,
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  scan(`response to ${method} ${path}`, text);
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** One round of a client: the whole journey, with secrets in headers and a card number refused. */
async function round(n: number): Promise<string[]> {
  const wrong: string[] = [];
  const expect = (what: string, status: number, wanted: number) =>
    status !== wanted && wrong.push(`${what}: ${status}`);
  // A person of their own each round (one profile per person), signed in with a real token.
  const person = {
    authorization: `Bearer ${await stack.issuer.sign({
      sub: `soak-${n}-${randomUUID()}`,
      aud: PLATFORM_AUDIENCE,
      scope: PERSON_SCOPES.join(' '),
    })}`,
  };
  const user = await call('POST', '/users', { email: `soak-${n}-${randomUUID()}@example.com`, name: 'Soak' }, person);
  expect('create user', user.status, 201);
  expect('read user', (await call('GET', `/users/${String(user.body['id'])}`, undefined, person)).status, 200);
  const order = await call(
    'POST',
    '/orders',
    { userId: user.body['id'], currency: 'EUR', items: [{ sku: 'S', quantity: 1 + (n % 3), unitPriceCents: 999 }] },
    person,
  );
  expect('create order', order.status, 201);
  const paid = await call(
    'POST',
    `/orders/${String(order.body['id'])}/pay`,
    { paymentMethod: { type: 'card', token: SECRETS.token } },
    { ...person, 'idempotency-key': randomUUID() },
  );
  expect('pay', paid.status, 200);
  expect(
    'list orders',
    (await call('GET', `/orders?userId=${String(user.body['id'])}`, undefined, person)).status,
    200,
  );
  if (n % 5 === 0) {
    expect('cancel', (await call('POST', `/orders/${String(order.body['id'])}/cancel`, undefined, person)).status, 200);
  }
  const card = n % 2 === 0 ? SECRETS.card : SECRETS.cardGrouped;
  expect(
    'card refused',
    (
      await call(
        'POST',
        '/payments',
        { amountCents: 100, currency: 'EUR', reference: `card ${card}`, method: { type: 'card', token: 'tok_visa' } },
        { ...orderService, 'idempotency-key': randomUUID() },
      )
    ).status,
    400,
  );
  return wrong;
}

it('serves a minute of mixed traffic with no errors, flat memory and no secret in any log line or response', async () => {
  const pids = Object.fromEntries(Object.entries(stack.services).map(([name, s]) => [name, s.process.child.pid]));
  const started = performance.now();
  // RSS saws up and down with each garbage collection: compare the lowest sample of the ten
  // seconds after the warm-up with the lowest of the last ten seconds.
  const samples: { at: number; kib: Record<string, number> }[] = [];
  const sampler = setInterval(
    () =>
      samples.push({
        at: performance.now() - started,
        kib: Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, rssKiB(pid)])),
      }),
    500,
  );
  let rounds = 0;
  const wrong: string[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() - started < WARM_UP_MS + SOAK_MS) wrong.push(...(await round(rounds++)));
    }),
  );
  clearInterval(sampler);
  const lowest = (from: number, to: number) =>
    Object.fromEntries(
      Object.keys(pids).map((name) => [
        name,
        Math.min(...samples.filter((s) => s.at >= from && s.at < to).map((s) => s.kib[name] ?? Infinity)),
      ]),
    );
  const warm = lowest(WARM_UP_MS, WARM_UP_MS + 10_000);
  const end = lowest(WARM_UP_MS + SOAK_MS - 10_000, Infinity);
  process.stdout.write(
    `Soak: ${rounds} rounds (${rounds * 7} requests) in ${Math.round((performance.now() - started) / 1000)} s; ${logLines} log lines; lowest RSS KiB after warm-up ${JSON.stringify(warm)}, at the end ${JSON.stringify(end)}\n`,
  );

  expect(rounds).toBeGreaterThan(100);
  expect(wrong).toEqual([]);
  for (const [name, kib] of Object.entries(end)) expect({ name, kib }).toEqual({ name, kib: expect.any(Number) });
  for (const [name, kib] of Object.entries(end)) expect(kib).toBeLessThan((warm[name] ?? 0) * 1.1);
  expect(logLines).toBeGreaterThan(rounds * 7);
  expect(leaks).toEqual([]);
}, 120_000);
