import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { bearer } from '@platform/auth/testing';
import { PERSON_SCOPES, SCOPES } from '@platform/auth';
import type { OpenApiDocument } from '@platform/contracts';
import {
  caseName,
  fillPath,
  judge,
  type MatrixCase,
  matrixCases,
  type MatrixOperation,
  operationsOf,
  type PrincipalKind,
} from '@platform/contracts/testing';
import { loadRoutes, startEdge, type Edge } from '@platform/local-stack';
import {
  BUILT_SERVICE_ENV,
  builtServiceArgs,
  freePort,
  type RunningProcess,
  startNode,
  STARTUP_HOOK_TIMEOUT_MS,
  waitForHttp,
  WORKSPACE_ROOT,
} from '@platform/testing';
import type pg from 'pg';
import { TestIdentity } from './identity';
import { HAS_POSTGRES, ThrowawayPostgres } from './postgres';

// The authorization matrix (docs/security.md): every operation of the three services, generated
// from their contracts, called by every kind of caller on every spelling of its path, against the
// built services on a real PostgreSQL with a real issuer, directly and through the local edge
// (which routes like the ALB). Each case must end in its documented answer, and a refused write
// must leave all three databases exactly as they were.

const SERVICES = ['user-service', 'order-service', 'payment-service'] as const;
type Service = (typeof SERVICES)[number];
/** Each service's operations, from its committed contract (docs/api), which its own tests hold it to. */
const operations = (service: Service): MatrixOperation[] =>
  operationsOf(
    JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'docs/api', `${service}.openapi.json`), 'utf8')) as OpenApiDocument,
  );
/** The services that allow order-service's workload (their configured callers). */
const ALLOWS_ORDER_SERVICE: Record<Service, boolean> = {
  'user-service': true,
  'order-service': false,
  'payment-service': true,
};
const SCOPE_SETS = { person: PERSON_SCOPES, admin: [...PERSON_SCOPES, SCOPES.admin] };

const describeWithPostgres = HAS_POSTGRES ? describe : describe.skip;

let postgres: ThrowawayPostgres;
let identity: TestIdentity;
let edge: Edge;
const processes = {} as Record<Service, RunningProcess>;
const urls = {} as Record<Service, string>;
const pools = {} as Record<Service, pg.Pool>;
/** Callers shared by the cases: another person and an administrator, each with a profile. */
let other: Record<string, string>;
let admin: Record<string, string>;
const counts = { direct: 0, edge: 0 };

const token = {
  person: async (subject: string) => bearer(await identity.issuer.person(subject)),
  admin: async (subject: string) => bearer(await identity.issuer.admin(subject)),
};

/** One request with the path exactly as given (fetch would resolve `%2e%2e` and the like first). */
function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        method,
        path,
        headers: { ...headers, ...(text === undefined ? {} : { 'content-type': 'application/json' }) },
      },
      (res) => {
        let answer = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: answer === '' ? undefined : (JSON.parse(answer) as unknown) });
          } catch {
            resolve({ status: res.statusCode ?? 0, json: answer });
          }
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

async function created(service: Service, path: string, headers: Record<string, string>, body: unknown) {
  const res = await call(urls[service], 'POST', path, headers, body);
  if (res.status !== 201)
    throw new Error(`setting up: POST ${path} answered ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as { id: string };
}

const profile = (caller: Record<string, string>) =>
  created('user-service', '/users', caller, { email: `${randomUUID()}@example.com`, name: 'Matrix' });

/** The objects a case acts on, and their owner. */
interface Fixture {
  readonly owner: Record<string, string>;
  readonly user: string;
  readonly order: string;
  readonly payment: string;
}

async function fixture(): Promise<Fixture> {
  const owner = await token.person(`owner-${randomUUID()}`);
  const user = (await profile(owner)).id;
  const order = (
    await created('order-service', '/orders', owner, {
      currency: 'EUR',
      items: [{ sku: 'BOOK-1', quantity: 1, unitPriceCents: 100 }],
    })
  ).id;
  const payment = (
    await created(
      'payment-service',
      '/payments',
      { ...(await workload('payment-service')), 'idempotency-key': randomUUID() },
      {
        amountCents: 100,
        currency: 'EUR',
        reference: randomUUID(),
        method: { type: 'card', token: 'tok_visa' },
      },
    )
  ).id;
  return { owner, user, order, payment };
}

const workload = async (service: Service) => bearer(await identity.issuer.workload(service));

/** What a request to `op` carries besides its caller: path parameters, body, contract headers. */
function requestOf(
  op: MatrixOperation,
  f: Fixture,
): { params: Record<string, string>; body?: unknown; headers: Record<string, string> } {
  const key = { 'idempotency-key': randomUUID() };
  switch (op.operationId) {
    case 'createUser':
      return { params: {}, body: { email: `${randomUUID()}@example.com`, name: 'Matrix' }, headers: {} };
    case 'updateUser':
      return { params: { id: f.user }, body: { name: 'Changed' }, headers: {} };
    case 'getUser':
    case 'deleteUser':
      return { params: { id: f.user }, headers: {} };
    case 'createOrder':
      return {
        params: {},
        body: { currency: 'EUR', items: [{ sku: 'PEN-1', quantity: 2, unitPriceCents: 50 }] },
        headers: {},
      };
    case 'getOrder':
      return { params: { id: f.order }, headers: {} };
    case 'payOrder':
      return { params: { id: f.order }, body: { paymentMethod: { type: 'card', token: 'tok_visa' } }, headers: key };
    case 'cancelOrder':
      return { params: { id: f.order }, body: {}, headers: {} };
    case 'createPayment':
      return {
        params: {},
        body: {
          amountCents: 100,
          currency: 'EUR',
          reference: randomUUID(),
          method: { type: 'card', token: 'tok_visa' },
        },
        headers: key,
      };
    case 'getPayment':
      return { params: { id: f.payment }, headers: {} };
    case 'refundPayment':
      return { params: { id: f.payment }, body: {}, headers: key };
    default:
      if (op.method === 'get' && !op.path.includes('{')) return { params: {}, headers: {} };
      throw new Error(`the matrix has no request for ${op.operationId}: add one`);
  }
}

/** The caller of a case. `createUser` is made by people without a profile yet, so each is new. */
async function callerOf(principal: PrincipalKind, service: Service, op: MatrixOperation, f: Fixture) {
  const fresh = op.operationId === 'createUser';
  switch (principal) {
    case 'anonymous':
      return {};
    case 'expired':
      return bearer(
        await identity.issuer.person(f.owner['authorization'] ?? 'x', {
          extra: { exp: Math.floor(Date.now() / 1000) - 600 },
        }),
      );
    case 'owner':
      return fresh ? token.person(`owner-${randomUUID()}`) : f.owner;
    case 'other':
      return fresh ? token.person(`other-${randomUUID()}`) : other;
    case 'admin':
      return fresh ? token.admin(`admin-${randomUUID()}`) : admin;
    case 'workload':
      return workload(service);
    case 'stranger':
      return bearer(await identity.issuer.workload(service, 'system:serviceaccount:default:default'));
  }
}

/** The background tasks of each service: each runs once within a second of start, then every (long) interval. */
const BACKGROUND_TASKS: Partial<Record<(typeof SERVICES)[number], readonly string[]>> = {
  'order-service': ['reconcile orders'],
  'payment-service': ['purge expired idempotency keys', 'settle abandoned payments', 'reconcile provider ledger'],
};

/** Waits until every background task finished its first run, so that from then on only requests change the databases. */
async function firstBackgroundRuns(): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (const service of SERVICES) {
    const tasks = BACKGROUND_TASKS[service] ?? [];
    while (tasks.length > 0) {
      const metrics = await (await fetch(`${urls[service]}/metrics`)).text();
      if (tasks.every((task) => metrics.includes(`background_task_runs_total{task="${task}"`))) break;
      if (performance.now() > deadline) throw new Error(`${service}: its background tasks never ran`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Every table of every service, as one digest: what a refused write must leave unchanged. */
async function snapshot(): Promise<string> {
  const parts = await Promise.all(
    SERVICES.map(async (service) => {
      const pool = pools[service];
      const { rows } = await pool.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      const digests = await Promise.all(
        rows.map(
          async ({ table_name }) =>
            (
              await pool.query<{ d: string }>(
                `SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS d FROM "${table_name}" t`,
              )
            ).rows[0]?.d,
        ),
      );
      return `${service}:${digests.join(',')}`;
    }),
  );
  return parts.join(';');
}

const isSuccess = (c: MatrixCase) => typeof c.expected === 'number' && c.expected < 300;

/** Runs every case of every operation against `base` (a service's own URL, or the edge's); returns the failures. */
async function runMatrix(target: 'direct' | 'edge'): Promise<string[]> {
  const failures: string[] = [];
  let shared = await fixture();
  for (const service of SERVICES) {
    const base = target === 'edge' ? edge.url : urls[service];
    for (const op of operations(service)) {
      const policy = { allowsWorkload: ALLOWS_ORDER_SERVICE[service], owned: ownedByOnePerson };
      const cases = matrixCases(op, fillPath(op, requestOf(op, shared).params), policy, SCOPE_SETS);
      for (const template of cases) {
        const writes = op.method !== 'get';
        // A case that may succeed at a write gets objects of its own; the others share them.
        const f = writes && isSuccess(template) && template.variant.kind === 'exact' ? await fixture() : shared;
        const { params, body, headers } = requestOf(op, f);
        const c: MatrixCase = {
          ...template,
          variant: {
            ...template.variant,
            path: template.variant.path.replace(fillPath(op, requestOf(op, shared).params), fillPath(op, params)),
          },
        };
        const caller = await callerOf(c.principal, service, op, f);
        const before = writes && !isSuccess(c) ? await snapshot() : undefined;
        const res = await call(base, c.variant.method, c.variant.path, { ...headers, ...caller }, body);
        counts[target]++;
        const verdict = judge(c, res.status) ?? (res.status >= 500 ? `a ${res.status}` : undefined);
        if (verdict !== undefined) failures.push(`${caseName(c)} (${c.variant.method} ${c.variant.path}): ${verdict}`);
        if (before !== undefined && (await snapshot()) !== before) {
          failures.push(`${caseName(c)} (${c.variant.method} ${c.variant.path}): changed data it must not`);
          shared = await fixture();
        }
      }
    }
  }
  return failures;
}

/** People act on their own users and orders (another person gets 404); payments belong to no person. */
const ownedByOnePerson = (op: MatrixOperation) =>
  op.path.includes('{id}') &&
  typeof op.security === 'object' &&
  (op.security.people ?? []).some((s) => s !== SCOPES.admin);

describeWithPostgres('the authorization matrix', () => {
  beforeAll(async () => {
    postgres = await ThrowawayPostgres.start(SERVICES);
    identity = await TestIdentity.start();
    for (const service of SERVICES) {
      urls[service] = `http://127.0.0.1:${await freePort()}`;
      pools[service] = postgres.pool(service);
    }
    for (const service of SERVICES) {
      processes[service] = startNode(builtServiceArgs(join(WORKSPACE_ROOT, 'dist/apps', service)), {
        env: {
          PATH: process.env['PATH'] ?? '',
          ...BUILT_SERVICE_ENV,
          PORT: new URL(urls[service]).port,
          HOST: '127.0.0.1',
          DATABASE_URL: postgres.databaseUrl(service),
          LOG_LEVEL: 'warn',
          // No background repair while the matrix compares databases before and after each refusal
          // (beyond the first run of each, within a second of start, which the suite waits out).
          RECONCILE_INTERVAL_MS: '600000',
          SETTLE_INTERVAL_MS: '600000',
          LEDGER_INTERVAL_MS: '600000',
          USER_SERVICE_URL: urls['user-service'],
          PAYMENT_SERVICE_URL: urls['payment-service'],
          ...identity.env(service),
        },
        keepLines: 500,
      });
    }
    await Promise.all(SERVICES.map((s) => waitForHttp(`${urls[s]}/health/ready`, { process: processes[s] })));
    await firstBackgroundRuns();
    edge = await startEdge({
      table: loadRoutes(),
      upstreams: Object.fromEntries(SERVICES.map((s) => [s, new URL(urls[s])])),
      port: 0,
      host: '127.0.0.1',
    });
    other = await token.person(`other-${randomUUID()}`);
    admin = await token.admin(`admin-${randomUUID()}`);
    await profile(other);
    await profile(admin);
  }, STARTUP_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await edge?.close();
    const codes = await Promise.all(SERVICES.map((s) => processes[s]?.stop('SIGTERM')));
    await Promise.all(SERVICES.map((s) => pools[s]?.end()));
    await identity?.close();
    postgres?.close();
    const out = join(WORKSPACE_ROOT, 'dist/resilience');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'authorization-matrix.json'), `${JSON.stringify({ cases: counts }, null, 2)}\n`);
    expect(codes).toEqual([0, 0, 0]);
  });

  it('answers every operation × caller × path spelling as documented, calling each service directly', async () => {
    expect(await runMatrix('direct')).toEqual([]);
    expect(counts.direct).toBeGreaterThan(1000);
  }, 600_000);

  it('answers the same through the edge, which routes like the load balancer', async () => {
    expect(await runMatrix('edge')).toEqual([]);
  }, 600_000);
});
