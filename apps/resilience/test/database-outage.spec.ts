import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  freePort,
  type RunningProcess,
  startNode,
  waitForHttp,
  WORKSPACE_ROOT,
  BUILT_SERVICE_ENV,
  builtServiceArgs,
  JITLESS,
  STARTUP_HOOK_TIMEOUT_MS,
} from '@platform/testing';
import { TestIdentity } from './identity';
import { HAS_POSTGRES, ThrowawayPostgres } from './postgres';

// PostgreSQL goes away in the middle of traffic and comes back. Requests fail fast with a 503
// problem, readiness is 503, the processes stay up; when the server is back every service recovers
// by itself, and no half-written rows exist.
const CONNECT_TIMEOUT_MS = 1_000;
const STATEMENT_TIMEOUT_MS = 2_000;

let postgres: ThrowawayPostgres;
const urls: Record<string, string> = {};
let identity: TestIdentity;
/** The person placing orders, and order-service's own token for payment-service. */
let buyer: Record<string, string>;
let orderService: Record<string, string>;
const children: Record<string, RunningProcess> = {};

async function startService(name: string, env: Record<string, string> = {}) {
  const servicePort = await freePort();
  const dist = join(WORKSPACE_ROOT, 'dist/apps', name);
  children[name] = startNode(builtServiceArgs(dist), {
    env: {
      ...BUILT_SERVICE_ENV,
      // On PostgreSQL: V8 as the chart runs the pods.
      NODE_OPTIONS: JITLESS,
      PATH: process.env['PATH'],
      PORT: String(servicePort),
      HOST: '127.0.0.1',
      DATABASE_URL: postgres.databaseUrl(name),
      DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      LOG_LEVEL: 'error',
      ...identity.env(name),
      ...env,
    },
    keepLines: 100,
  });
  urls[name] = `http://127.0.0.1:${servicePort}`;
  await waitForHttp(`${urls[name]}/health/ready`, { process: children[name] });
}

const post = async (url: string, body: unknown, headers: Record<string, string> = buyer) => {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    ms: performance.now() - started,
    type: res.headers.get('content-type'),
  };
};

if (!HAS_POSTGRES)
  it.todo('a PostgreSQL outage in the middle of traffic (not run: no PostgreSQL server binaries on this machine)');

(HAS_POSTGRES ? describe : () => undefined)('a PostgreSQL outage in the middle of traffic', () => {
  beforeAll(async () => {
    postgres = await ThrowawayPostgres.start(['user-service', 'order-service', 'payment-service']);
    identity = await TestIdentity.start();
    buyer = await identity.person(`outage-${randomUUID()}`);
    orderService = await identity.workload('payment-service');
    await Promise.all([startService('user-service'), startService('payment-service')]);
    await startService('order-service', {
      USER_SERVICE_URL: urls['user-service'] as string,
      PAYMENT_SERVICE_URL: urls['payment-service'] as string,
      PAYMENT_SERVICE_TIMEOUT_MS: '4000',
    });
  }, STARTUP_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all(Object.values(children).map((child) => child.stop('SIGTERM')));
    await identity.close();
    postgres.close();
  });

  it('fails fast with 503, keeps the processes up, recovers by itself, and leaves no half-written rows', async () => {
    const user = await post(`${urls['user-service']}/users`, {
      email: `outage-${randomUUID()}@example.com`,
      name: 'Outage',
    });
    expect(user.status).toBe(201);
    const order = () =>
      post(`${urls['order-service']}/orders`, {
        userId: user.body['id'],
        currency: 'EUR',
        items: [
          { sku: 'A', quantity: 2, unitPriceCents: 700 },
          { sku: 'B', quantity: 1, unitPriceCents: 99 },
        ],
      });
    const pay = (id: unknown) =>
      post(`${urls['order-service']}/orders/${String(id)}/pay`, { paymentMethod: { type: 'card', token: 'tok_visa' } });

    // Traffic that writes, while the server is stopped under it.
    let stop = false;
    const traffic = (async () => {
      const results: { status: number; ms: number; type: string | null }[] = [];
      while (!stop) {
        const created = await order();
        results.push(created);
        if (created.status === 201) results.push(await pay(created.body['id']));
      }
      return results;
    })();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    postgres.stop();

    // During the outage: fast 503 problems everywhere, readiness 503, nobody died.
    const during = [
      await order(),
      await post(
        `${urls['user-service']}/users`,
        { email: `down-${randomUUID()}@example.com`, name: 'Down' },
        await identity.person(`down-${randomUUID()}`),
      ),
      await post(
        `${urls['payment-service']}/payments`,
        { amountCents: 100, currency: 'EUR', reference: 'down', method: { type: 'card', token: 'tok_visa' } },
        { ...orderService, 'idempotency-key': randomUUID() },
      ),
    ];
    for (const result of during) {
      expect(result.status).toBe(503);
      expect(result.type).toMatch(/^application\/problem\+json/);
      expect(result.ms).toBeLessThan(CONNECT_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + 1_500);
    }
    for (const service of Object.keys(children)) {
      if (service === 'order-service') continue;
      expect((await fetch(`${urls[service]}/health/ready`)).status).toBe(503);
    }
    expect((await fetch(`${urls['order-service']}/health/ready`)).status).toBe(503);
    stop = true;
    const results = await traffic;
    for (const result of results) expect([200, 201, 503]).toContain(result.status);
    for (const child of Object.values(children)) expect(child.child.exitCode).toBeNull();

    // Back: every service recovers with no restart.
    postgres.restart();
    for (const service of Object.keys(children))
      await waitForHttp(`${urls[service]}/health/ready`, { timeoutMs: 15_000 });
    const after = await order();
    expect(after.status).toBe(201);
    expect((await pay(after.body['id'])).status).toBe(200);

    // No half-written rows: every order has its items; every PAID order has exactly one SUCCEEDED
    // payment with the same amount and currency.
    const orders = postgres.pool('order-service');
    const payments = postgres.pool('payment-service');
    try {
      const { rows: orphans } = await orders.query(
        'SELECT o.id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)',
      );
      expect(orphans).toEqual([]);
      const { rows: paid } = await orders.query<{
        id: string;
        total_cents: string;
        currency: string;
        payment_id: string;
      }>("SELECT id, total_cents, currency, payment_id FROM orders WHERE status = 'PAID'");
      expect(paid.length).toBeGreaterThan(0);
      for (const o of paid) {
        const { rows } = await payments.query<{ id: string; amount_cents: string; currency: string }>(
          "SELECT id, amount_cents, currency FROM payments WHERE reference = $1 AND status = 'SUCCEEDED'",
          [o.id],
        );
        expect(rows).toEqual([{ id: o.payment_id, amount_cents: o.total_cents, currency: o.currency }]);
      }
    } finally {
      await Promise.all([orders.end(), payments.end()]);
    }
  }, 90_000);
});
