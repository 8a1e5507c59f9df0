import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  BUILT_SERVICE_ENV,
  JITLESS,
  builtServiceArgs,
  freePort,
  type RunningProcess,
  startNode,
  waitForHttp,
  WORKSPACE_ROOT,
  listenOnLoopback,
  STARTUP_HOOK_TIMEOUT_MS,
} from '@platform/testing';
import type pg from 'pg';
import { TestIdentity } from './identity';
import { HAS_POSTGRES, ThrowawayPostgres } from './postgres';

// Money converges to a correct state after any crash, with or without the client's help. Three
// services on a real PostgreSQL; order-service and payment-service are stopped at the steps where a
// crash leaves money half-moved (frozen with SIGSTOP at the step, the databases checked to prove
// which step it reached, then killed with SIGKILL and restarted), and every client behaviour is
// played after each: retry the same key, switch keys, cancel instead, do nothing. Then a
// randomised round: concurrent clients while both services are killed again and again and
// PostgreSQL stops immediately once. After each, the invariants hold over every order.

/**
 * The timings of this suite: short, so that healing is seen in seconds. With
 * CRASH_SUITE_PRODUCTION_TIMINGS=1 the services keep their production defaults instead (minutes:
 * run one test at a time with -t, as docs/resilience.md shows).
 */
const PRODUCTION_TIMINGS = process.env['CRASH_SUITE_PRODUCTION_TIMINGS'] === '1';
const HOLD_MS = 3_000;
/** Longer than payment-service's statement timeout, as in production (30 s against 5 s): a failed write is over before its key goes stale. */
const ABANDONED_AFTER_MS = 2_000;
const PAYMENT_STATEMENT_TIMEOUT_MS = 1_500;
const RECONCILE_AFTER_MS = 5_000;
const INTERVAL_MS = 250;
/** Everything heals within this of the crash: hold or abandonment, the recheck, two runs, and slack for a busy machine. */
const HEAL_BOUND_MS = PRODUCTION_TIMINGS
  ? 120_000
  : HOLD_MS + ABANDONED_AFTER_MS + RECONCILE_AFTER_MS + 4 * INTERVAL_MS + 15_000;

const SERVICES = ['user-service', 'order-service', 'payment-service'] as const;
type Service = (typeof SERVICES)[number];

let postgres: ThrowawayPostgres;
let identity: TestIdentity;
let buyer: Record<string, string>;
let userId: string;
let ordersDb: pg.Pool;
let paymentsDb: pg.Pool;
const ports = {} as Record<Service, number>;
const processes = {} as Record<Service, RunningProcess>;
let proxy: CrashProxy;

const url = (service: Service) => `http://127.0.0.1:${ports[service]}`;

function environment(service: Service): Record<string, string> {
  const common = {
    PATH: process.env['PATH'] ?? '',
    ...BUILT_SERVICE_ENV,
    // On PostgreSQL: V8 as the chart runs the pods.
    NODE_OPTIONS: JITLESS,
    PORT: String(ports[service]),
    HOST: '127.0.0.1',
    DATABASE_URL: postgres.databaseUrl(service),
    DB_CONNECT_TIMEOUT_MS: '1000',
    DB_STATEMENT_TIMEOUT_MS: '3000',
    LOG_LEVEL: 'warn',
    ...identity.env(service),
  };
  switch (service) {
    case 'user-service':
      return common;
    case 'order-service':
      return {
        ...common,
        USER_SERVICE_URL: url('user-service'),
        PAYMENT_SERVICE_URL: proxy.url,
        ...(PRODUCTION_TIMINGS
          ? {}
          : {
              PAYMENT_SERVICE_TIMEOUT_MS: '800',
              PAYMENT_ATTEMPT_HOLD_MS: String(HOLD_MS),
              RECONCILE_INTERVAL_MS: String(INTERVAL_MS),
              RECONCILE_AFTER_MS: String(RECONCILE_AFTER_MS),
              RECONCILE_WATCH_MS: '60000',
            }),
      };
    case 'payment-service':
      return {
        ...common,
        ...(PRODUCTION_TIMINGS
          ? {}
          : {
              DB_STATEMENT_TIMEOUT_MS: String(PAYMENT_STATEMENT_TIMEOUT_MS),
              PROVIDER_TIMEOUT_MS: '500',
              ABANDONED_AFTER_MS: String(ABANDONED_AFTER_MS),
              SETTLE_INTERVAL_MS: String(INTERVAL_MS),
            }),
      };
  }
}

async function start(service: Service): Promise<void> {
  processes[service] = startNode(builtServiceArgs(join(WORKSPACE_ROOT, 'dist/apps', service)), {
    env: environment(service),
    keepLines: 2_000,
  });
  await waitForHttp(`${url(service)}/health/ready`, { process: processes[service] });
}

/** kill -9, and the service comes back on the same port and database. */
async function crash(service: Service): Promise<void> {
  processes[service].child.kill('SIGKILL');
  await processes[service].exited;
  await start(service);
}

const freeze = (service: Service) => processes[service].child.kill('SIGSTOP');

/**
 * A real HTTP proxy between order-service and payment-service. A trap makes one request matching
 * it run a step (freeze order-service, say) once payment-service has answered and before the
 * answer is passed on; the answer is then never passed on. Everything else passes through.
 */
class CrashProxy {
  #trap?: { method: string; path: RegExp; body?: string; step: () => Promise<void>; sprung: () => void };

  private constructor(
    private readonly server: Server,
    readonly upstream: () => string,
  ) {}

  static async start(upstream: () => string): Promise<CrashProxy> {
    const proxy: { current?: CrashProxy } = {};
    const server = createServer((req, res) => {
      void proxy.current?.forward(req, res);
    });
    await listenOnLoopback(server);
    proxy.current = new CrashProxy(server, upstream);
    return proxy.current;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * Resolves once a request matching `method` and `path` (and whose body contains `body`, if
   * given) was answered upstream and `step` ran.
   */
  trap(method: string, path: RegExp, step: () => Promise<void>, body?: string): Promise<void> {
    return new Promise((sprung) => {
      this.#trap = { method, path, body, step, sprung };
    });
  }

  async forward(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = new URL(req.url ?? '/', this.upstream());
    const upstream = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>(
      (resolve, reject) => {
        const call = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () =>
            resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(body) }),
          );
          answer.on('error', reject);
        });
        call.on('error', reject);
        call.end(Buffer.concat(chunks));
      },
    ).catch(() => undefined);
    if (upstream === undefined) {
      res.destroy();
      return;
    }
    const trap = this.#trap;
    if (
      trap !== undefined &&
      req.method === trap.method &&
      trap.path.test(target.pathname) &&
      (trap.body === undefined || Buffer.concat(chunks).toString().includes(trap.body)) &&
      upstream.status < 300
    ) {
      this.#trap = undefined;
      await trap.step();
      res.destroy();
      trap.sprung();
      return;
    }
    res.writeHead(upstream.status, upstream.headers);
    res.end(upstream.body);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface OrderRow {
  id: string;
  status: 'PENDING' | 'PAID' | 'CANCELLED';
  total_cents: string;
  currency: string;
  payment_id: string | null;
  refund_id: string | null;
}
interface PaymentRow {
  id: string;
  status: 'SUCCEEDED' | 'FAILED' | 'REFUNDED';
  amount_cents: string;
  currency: string;
  reference: string;
  refund_id: string | null;
}

const orderRow = async (id: string) =>
  (await ordersDb.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id])).rows[0] as OrderRow;
const paymentRows = async (reference: string) =>
  (
    await paymentsDb.query<PaymentRow>(
      `SELECT p.id, p.status, p.amount_cents, p.currency, p.reference, r.id AS refund_id
       FROM payments p LEFT JOIN refunds r ON r.payment_id = p.id WHERE p.reference = $1 ORDER BY p.seq`,
      [reference],
    )
  ).rows;

/**
 * What must hold over every order once healed: PAID ⇔ exactly one SUCCEEDED payment, the order's,
 * of its amount and currency; CANCELLED after payment ⇔ its payment REFUNDED with the order's
 * refund; no charge behind a PENDING or CANCELLED order; every charge the provider made is
 * recorded and no write is left in progress; the money adds up.
 */
async function violations(): Promise<string[]> {
  const found: string[] = [];
  const { rows: orders } = await ordersDb.query<OrderRow>('SELECT * FROM orders');
  const { rows: payments } = await paymentsDb.query<PaymentRow>(
    'SELECT p.id, p.status, p.amount_cents, p.currency, p.reference, r.id AS refund_id FROM payments p LEFT JOIN refunds r ON r.payment_id = p.id',
  );
  const byReference = new Map<string, PaymentRow[]>();
  for (const payment of payments)
    byReference.set(payment.reference, [...(byReference.get(payment.reference) ?? []), payment]);
  let paidTotal = 0;
  for (const order of orders) {
    const mine = byReference.get(order.id) ?? [];
    const succeeded = mine.filter((p) => p.status === 'SUCCEEDED');
    const own = mine.find((p) => p.id === order.payment_id);
    if (order.status === 'PAID') {
      paidTotal += Number(order.total_cents);
      if (succeeded.length !== 1 || succeeded[0]?.id !== order.payment_id) {
        found.push(`PAID order ${order.id} has ${succeeded.length} SUCCEEDED payments, not just its own`);
      } else if (own?.amount_cents !== order.total_cents || own.currency !== order.currency) {
        found.push(`PAID order ${order.id} was paid another amount or currency`);
      }
    } else {
      if (succeeded.length > 0) found.push(`${order.status} order ${order.id} has a charge behind it`);
      if (order.status === 'CANCELLED' && order.payment_id !== null) {
        if (own?.status !== 'REFUNDED' || own.refund_id !== order.refund_id) {
          found.push(`CANCELLED order ${order.id} does not show its payment's refund`);
        }
      }
    }
  }
  const succeededTotal = payments
    .filter((p) => p.status === 'SUCCEEDED')
    .reduce((s, p) => s + Number(p.amount_cents), 0);
  if (succeededTotal !== paidTotal)
    found.push(`charges kept (${succeededTotal}) differ from PAID orders (${paidTotal})`);
  const { rows: unrecorded } = await paymentsDb.query<{ idempotency_key: string }>(
    `SELECT c.idempotency_key FROM sandbox_charges c
     WHERE c.result::json ->> 'outcome' = 'succeeded'
       AND NOT EXISTS (SELECT 1 FROM payments p WHERE 'charge:' || p.idempotency_key = c.idempotency_key)`,
  );
  for (const { idempotency_key } of unrecorded)
    found.push(`the provider charged ${idempotency_key}; nobody recorded it`);
  const { rows: open } = await paymentsDb.query("SELECT key FROM idempotency_keys WHERE state = 'in_progress'");
  if (open.length > 0) found.push(`${open.length} payment writes left in progress`);
  return found;
}

/** Polls `check` until it returns true or `withinMs` passes; returns how long it took. */
async function eventually(check: () => Promise<boolean>, withinMs = HEAL_BOUND_MS): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > withinMs) throw new Error(`not healed within ${withinMs} ms`);
    await sleep(100);
  }
  return performance.now() - started;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const healed = async () => {
  const found = await violations().catch((error: unknown) => [`cannot check yet: ${String(error)}`]);
  if (found.length > 0 && process.env['CRASH_SUITE_DEBUG']) {
    for (const line of found) {
      const id = /order ([0-9a-f-]{36})/.exec(line)?.[1];
      const detail = id === undefined ? [] : [await orderRow(id), await paymentRows(id)];
      console.log(line, JSON.stringify(detail));
    }
  }
  return found.length === 0;
};

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  try {
    const res = await fetch(`${url('order-service')}${path}`, {
      method,
      headers: { ...buyer, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return { status: 0, body: {} }; // the connection died with the process
  }
}
const createOrder = async (cents = 1999) => {
  const res = await send('POST', '/orders', {
    userId,
    currency: 'EUR',
    items: [{ sku: 'CRASH-1', quantity: 1, unitPriceCents: cents }],
  });
  expect(res.status).toBe(201);
  return String(res.body['id']);
};
const pay = (id: string, key: string, token = 'tok_visa') =>
  send('POST', `/orders/${id}/pay`, { paymentMethod: { type: 'card', token } }, { 'idempotency-key': key });
const cancel = (id: string) => send('POST', `/orders/${id}/cancel`);
/** Repeats a request while the answer says "not yet" (in progress, unavailable), as a patient client does. */
async function until(statuses: readonly number[], call: () => ReturnType<typeof send>) {
  let res = await call();
  const deadline = performance.now() + HEAL_BOUND_MS;
  while (!statuses.includes(res.status) && performance.now() < deadline) {
    if (process.env['CRASH_SUITE_DEBUG']) {
      const keys = await paymentsDb.query(
        "SELECT key, state, locked_at, request FROM idempotency_keys WHERE scope = 'payments' AND state = 'in_progress'",
      );
      console.log(
        res.status,
        res.body['type'],
        res.body['detail'],
        new Date().toISOString(),
        JSON.stringify(keys.rows),
      );
    }
    await sleep(250);
    res = await call();
  }
  return res;
}

/**
 * A client that tries a new key each time until the order is PAID: by its own request, or by the
 * reconciler with the first attempt's charge (a new key then rightly answers 409 "PAID").
 */
async function payWithNewKeysUntilPaid(orderId: string, token = 'tok_visa'): Promise<void> {
  const res = await until([200], async () =>
    (await orderRow(orderId)).status === 'PAID' ? { status: 200, body: {} } : pay(orderId, randomUUID(), token),
  );
  expect(res.status).toBe(200);
  expect((await orderRow(orderId)).status).toBe('PAID');
}

/** Window 1 and 2: order-service dies after payment-service stored the charge, before the order is PAID. */
async function dieAfterCharge(): Promise<{ orderId: string; key: string; chargeId: string }> {
  const orderId = await createOrder();
  const key = randomUUID();
  const stepped = proxy.trap(
    'POST',
    /^\/payments$/,
    async () => {
      freeze('order-service');
    },
    orderId,
  );
  const answer = pay(orderId, key);
  await stepped;
  // The step reached: the charge is stored, the order is not paid.
  expect((await orderRow(orderId)).status).toBe('PENDING');
  const [charge, ...more] = await paymentRows(orderId);
  expect(charge?.status).toBe('SUCCEEDED');
  expect(more).toEqual([]);
  await crash('order-service');
  expect((await answer).status).toBe(0);
  return { orderId, key, chargeId: charge?.id as string };
}

/** Window 3: order-service dies after payment-service stored the refund, before the order is CANCELLED. */
async function dieAfterRefund(): Promise<{ orderId: string; chargeId: string }> {
  const orderId = await createOrder();
  const paid = await pay(orderId, randomUUID());
  expect(paid.status).toBe(200);
  const stepped = proxy.trap('POST', /^\/payments\/[^/]+\/refunds$/, async () => {
    freeze('order-service');
  });
  const answer = cancel(orderId);
  await stepped;
  expect((await orderRow(orderId)).status).toBe('PAID');
  expect((await paymentRows(orderId)).map((p) => p.status)).toEqual(['REFUNDED']);
  await crash('order-service');
  expect((await answer).status).toBe(0);
  return { orderId, chargeId: String(paid.body['paymentId']) };
}

/**
 * Window 4: payment-service dies after the provider charged and before the payment is recorded
 * (its insert is held by a table lock the suite takes), or, with `reachProvider` false, after
 * claiming the key and before the provider call.
 */
async function paymentServiceDiesMidCharge(reachProvider = true): Promise<{ orderId: string; key: string }> {
  const orderId = await createOrder();
  const key = randomUUID();
  const blockers = postgres.pool('payment-service');
  const blocker = await blockers.connect();
  await blocker.query('BEGIN');
  await blocker.query(`LOCK TABLE ${reachProvider ? 'payments' : 'sandbox_charges'} IN EXCLUSIVE MODE`);
  const answer = pay(orderId, key);
  await eventually(async () => {
    const { rows } = await paymentsDb.query(
      reachProvider
        ? "SELECT 1 FROM sandbox_charges WHERE idempotency_key LIKE 'charge:order:' || $1::text || ':%'"
        : "SELECT 1 FROM idempotency_keys WHERE scope = 'payments' AND key LIKE 'order:' || $1::text || ':%'",
      [orderId],
    );
    return rows.length > 0;
  }, 10_000);
  freeze('payment-service');
  expect(await paymentRows(orderId)).toEqual([]);
  processes['payment-service'].child.kill('SIGKILL');
  await processes['payment-service'].exited;
  await blocker.query('ROLLBACK');
  blocker.release();
  await blockers.end();
  await start('payment-service');
  expect([0, 409, 503]).toContain((await answer).status);
  return { orderId, key };
}

/** Whether the provider holds a charge for this order (whoever recorded it). */
const providerCharged = async (orderId: string) =>
  (
    await paymentsDb.query(
      "SELECT 1 FROM sandbox_charges WHERE idempotency_key LIKE 'charge:order:' || $1::text || ':%'",
      [orderId],
    )
  ).rows.length > 0;

/**
 * Window 5, with no crash at all (the outside reproduction): the provider charged, then
 * payment-service's insert fails (a table lock outlasts its statement timeout) while the database
 * stays reachable. The client is never told "not charged", and nothing is given back blind.
 */
async function insertFailsAfterCharge(): Promise<{ orderId: string; key: string }> {
  const orderId = await createOrder();
  const key = randomUUID();
  const blockers = postgres.pool('payment-service');
  const blocker = await blockers.connect();
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE payments IN EXCLUSIVE MODE');
  const answer = await pay(orderId, key);
  expect([409, 503]).toContain(answer.status);
  expect(String(answer.body['detail'])).not.toMatch(/not charged|can be paid again/);
  expect(await providerCharged(orderId)).toBe(true);
  // Held until order-service gave up (the answer above) and every insert still waiting timed out
  // (payment-service's statement timeout), as the outside test held it for 15 s.
  await sleep(PRODUCTION_TIMINGS ? 5_500 : PAYMENT_STATEMENT_TIMEOUT_MS + 500);
  expect(await paymentRows(orderId)).toEqual([]);
  await blocker.query('ROLLBACK');
  blocker.release();
  await blockers.end();
  return { orderId, key };
}

const metricsOf = async (service: Service) => (await fetch(`${url(service)}/metrics`)).text();
/** Whether the service logged this repair (the line follows the database write, so callers wait for it). */
const repairLogged = (service: Service, repair: string, field: string, id: string) =>
  processes[service].stdout.some(
    (line) => line.includes(`"repair":"${repair}"`) && line.includes(`"${field}":"${id}"`),
  );

if (!HAS_POSTGRES) it.todo('crash consistency (not run: no PostgreSQL server binaries on this machine)');

(HAS_POSTGRES ? describe : () => undefined)('money after a crash', () => {
  beforeAll(async () => {
    postgres = await ThrowawayPostgres.start(SERVICES);
    identity = await TestIdentity.start();
    for (const service of SERVICES) ports[service] = await freePort();
    proxy = await CrashProxy.start(() => url('payment-service'));
    await Promise.all([start('user-service'), start('payment-service')]);
    await start('order-service');
    ordersDb = postgres.pool('order-service');
    paymentsDb = postgres.pool('payment-service');
    buyer = await identity.person(`crash-${randomUUID()}`);
    const user = await fetch(`${url('user-service')}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...buyer },
      body: JSON.stringify({ email: `crash-${randomUUID()}@example.com`, name: 'Crash' }),
    });
    userId = ((await user.json()) as { id: string }).id;
  }, STARTUP_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    for (const child of Object.values(processes)) child.child.kill('SIGCONT');
    await Promise.all(Object.values(processes).map((child) => child.stop('SIGTERM')));
    await Promise.all([ordersDb?.end(), paymentsDb?.end()]);
    await proxy?.close();
    await identity?.close();
    postgres?.close();
  });

  afterEach(async () => {
    await eventually(healed);
  }, HEAL_BOUND_MS + 5_000);

  describe('order-service dies after the charge was stored, before the order was marked PAID', () => {
    it('retrying the same key completes the order with its one charge', async () => {
      const { orderId, key, chargeId } = await dieAfterCharge();
      const res = await until([200], () => pay(orderId, key));
      expect(res.body).toMatchObject({ status: 'PAID', paymentId: chargeId });
      expect((await paymentRows(orderId)).map((p) => p.status)).toEqual(['SUCCEEDED']);
    });

    it('switching keys completes it with the same charge once the attempt’s hold is over, charging nothing more', async () => {
      const { orderId, chargeId } = await dieAfterCharge();
      await payWithNewKeysUntilPaid(orderId);
      expect((await orderRow(orderId)).payment_id).toBe(chargeId);
      expect((await paymentRows(orderId)).map((p) => p.status)).toEqual(['SUCCEEDED']);
    });

    it('cancelling instead refunds the charge: CANCELLED with its refund, and the old key then answers 409', async () => {
      const { orderId, key, chargeId } = await dieAfterCharge();
      const res = await until([200], () => cancel(orderId));
      const [payment] = await paymentRows(orderId);
      expect(res.body).toMatchObject({ status: 'CANCELLED', paymentId: chargeId, refundId: payment?.refund_id });
      expect(payment?.status).toBe('REFUNDED');
      expect((await pay(orderId, key)).status).toBe(409);
    });

    it('doing nothing: the reconciler makes it PAID within the bound, with a warning and a metric', async () => {
      const { orderId, chargeId } = await dieAfterCharge();
      const took = await eventually(async () => (await orderRow(orderId)).status === 'PAID');
      expect((await orderRow(orderId)).payment_id).toBe(chargeId);
      expect(took).toBeLessThan(HEAL_BOUND_MS);
      await eventually(async () => repairLogged('order-service', 'completed-payment', 'order_id', orderId), 5_000);
      expect(await metricsOf('order-service')).toMatch(
        /background_task_repairs_total\{task="reconcile orders",repair="completed-payment"\} [1-9]/,
      );
    });
  });

  describe('order-service dies after the refund was stored, before the order was CANCELLED', () => {
    it('retrying the cancel answers CANCELLED with the refund', async () => {
      const { orderId, chargeId } = await dieAfterRefund();
      const res = await until([200], () => cancel(orderId));
      const [payment] = await paymentRows(orderId);
      expect(res.body).toMatchObject({ status: 'CANCELLED', paymentId: chargeId, refundId: payment?.refund_id });
    });

    it('doing nothing: the reconciler cancels it, with its refund', async () => {
      const { orderId } = await dieAfterRefund();
      await eventually(async () => (await orderRow(orderId)).status === 'CANCELLED');
      const [payment] = await paymentRows(orderId);
      expect((await orderRow(orderId)).refund_id).toBe(payment?.refund_id);
      await eventually(
        async () => repairLogged('order-service', 'cancelled-refunded-order', 'order_id', orderId),
        5_000,
      );
    });
  });

  describe('payment-service dies after the provider charged, before the payment was recorded', () => {
    it('retrying the same key completes the order with that one charge', async () => {
      const { orderId, key } = await paymentServiceDiesMidCharge();
      const res = await until([200], () => pay(orderId, key));
      const payments = await paymentRows(orderId);
      expect(payments.map((p) => p.status)).toEqual(['SUCCEEDED']);
      expect(res.body).toMatchObject({ status: 'PAID', paymentId: payments[0]?.id });
    });

    it('switching keys: the order is paid once; a second charge, if one was made, is refunded', async () => {
      const { orderId } = await paymentServiceDiesMidCharge();
      await payWithNewKeysUntilPaid(orderId);
      await eventually(healed);
      expect((await paymentRows(orderId)).filter((p) => p.status === 'SUCCEEDED')).toHaveLength(1);
    });

    it('cancelling instead: the order ends CANCELLED and the charge refunded', async () => {
      const { orderId } = await paymentServiceDiesMidCharge();
      const res = await until([200], () => cancel(orderId));
      expect(res.body['status']).toBe('CANCELLED');
      await eventually(healed);
      const payments = await paymentRows(orderId);
      expect(payments.map((p) => p.status)).toEqual(['REFUNDED']);
      // The reconciler refunds the charge, then writes it on the order: the second step follows.
      await eventually(async () => (await orderRow(orderId)).payment_id !== null, 5_000);
      expect(await orderRow(orderId)).toMatchObject({ payment_id: payments[0]?.id, refund_id: payments[0]?.refund_id });
    });

    it('doing nothing: payment-service records the charge and the reconciler makes the order PAID', async () => {
      const { orderId } = await paymentServiceDiesMidCharge();
      await eventually(async () => (await orderRow(orderId)).status === 'PAID');
      const [payment] = await paymentRows(orderId);
      await eventually(
        async () => repairLogged('payment-service', 'charge-recorded', 'payment_id', payment?.id as string),
        5_000,
      );
      expect(await metricsOf('payment-service')).toMatch(
        /background_task_repairs_total\{task="settle abandoned payments",repair="charge-recorded"\} [1-9]/,
      );
    });
  });

  describe('the provider charged and the payment’s write failed, with no crash', () => {
    it('doing nothing: payment-service records the charge and the order becomes PAID', async () => {
      const { orderId } = await insertFailsAfterCharge();
      await eventually(async () => (await orderRow(orderId)).status === 'PAID');
      expect((await paymentRows(orderId)).map((p) => p.status)).toEqual(['SUCCEEDED']);
    });

    it('retrying the same key answers the PAID order with the one charge', async () => {
      const { orderId, key } = await insertFailsAfterCharge();
      const res = await until([200], () => pay(orderId, key));
      const payments = await paymentRows(orderId);
      expect(payments.map((p) => p.status)).toEqual(['SUCCEEDED']);
      expect(res.body).toMatchObject({ status: 'PAID', paymentId: payments[0]?.id });
    });

    it('switching keys waits for the first to settle, then pays the order with that one charge', async () => {
      const { orderId } = await insertFailsAfterCharge();
      await payWithNewKeysUntilPaid(orderId, 'tok_mastercard');
      // The second card was never charged: a new key waited (409) while the first was unknown.
      const { rows } = await paymentsDb.query(
        "SELECT 1 FROM sandbox_charges WHERE idempotency_key LIKE 'charge:order:' || $1::text || ':%'",
        [orderId],
      );
      expect(rows).toHaveLength(1);
    });

    it('cancelling instead: CANCELLED, and the charge refunded', async () => {
      const { orderId } = await insertFailsAfterCharge();
      const res = await until([200], () => cancel(orderId));
      expect(res.body['status']).toBe('CANCELLED');
      await eventually(healed);
      expect((await paymentRows(orderId)).map((p) => p.status)).toEqual(['REFUNDED']);
    });
  });

  describe('the provider charged and answered after payment-service stopped waiting', () => {
    it('the answer is never "not charged"; doing nothing, the charge is recorded and the order PAID', async () => {
      const orderId = await createOrder();
      const answer = await pay(orderId, randomUUID(), 'tok_lateAnswer');
      expect([409, 503]).toContain(answer.status);
      expect(String(answer.body['detail'])).not.toMatch(/not charged|can be paid again/);
      await eventually(async () => (await orderRow(orderId)).status === 'PAID');
      expect((await paymentRows(orderId)).map((p) => p.status)).toEqual(['SUCCEEDED']);
    });

    it('retrying the same key answers the PAID order, charging once', async () => {
      const orderId = await createOrder();
      const key = randomUUID();
      await pay(orderId, key, 'tok_lateAnswer');
      const res = await until([200], () => pay(orderId, key, 'tok_lateAnswer'));
      expect(res.body['status']).toBe('PAID');
      expect((await paymentRows(orderId)).map((p) => p.status)).toEqual(['SUCCEEDED']);
    });
  });

  it('an administrator refunds a PAID order’s payment behind its back: the order becomes CANCELLED with that refund', async () => {
    const orderId = await createOrder();
    const paid = await pay(orderId, randomUUID());
    expect(paid.status).toBe(200);
    // A finished payment leaves nothing for the reconciler: only the refund itself can bring it back.
    const { rows } = await ordersDb.query<{ reconcile_after: Date | null }>(
      'SELECT reconcile_after FROM orders WHERE id = $1',
      [orderId],
    );
    expect(rows[0]?.reconcile_after).toBeNull();
    const refund = await fetch(`${url('payment-service')}/payments/${String(paid.body['paymentId'])}/refunds`, {
      method: 'POST',
      headers: { 'idempotency-key': randomUUID(), ...(await identity.admin()) },
    });
    expect(refund.status).toBe(201);
    const { id: refundId } = (await refund.json()) as { id: string };
    await eventually(async () => (await orderRow(orderId)).status === 'CANCELLED');
    expect(await orderRow(orderId)).toMatchObject({ refund_id: refundId, payment_id: paid.body['paymentId'] });
  });

  it(
    'under a steady load of 12 paid orders a second, an order crashed in the charge window heals while the load goes on',
    async () => {
      let running = true;
      let paid = 0;
      // Paced as the outside test paced it: one order started every 1/12 s, whoever is free takes it.
      const PACE_MS = 1_000 / 12;
      let nextAt = performance.now();
      const client = async () => {
        while (running) {
          const wait = nextAt - performance.now();
          nextAt = Math.max(nextAt, performance.now()) + PACE_MS;
          if (wait > 0) await sleep(wait);
          const orderId = await createOrderLenient();
          if (orderId !== undefined && (await pay(orderId, randomUUID())).status === 200) paid++;
        }
      };
      const clients = Array.from({ length: 6 }, client);
      await sleep(1_000);
      const { orderId, chargeId } = await dieAfterCharge();
      const crashedAt = performance.now();
      const healedAfterMs = await eventually(async () => (await orderRow(orderId)).status === 'PAID');
      running = false;
      await Promise.all(clients);
      expect((await orderRow(orderId)).payment_id).toBe(chargeId);
      const rate = paid / ((performance.now() - crashedAt + 1_000) / 1_000);
      const { rows } = await ordersDb.query<{ count: string }>(
        'SELECT count(*) FROM orders WHERE reconcile_after IS NOT NULL',
      );
      process.stdout.write(
        `Steady load: ${paid} orders paid (${rate.toFixed(1)}/s); the crashed order healed after ${Math.round(healedAfterMs)} ms; ${rows[0]?.count} orders scheduled for the reconciler\n`,
      );
      // Healing works on what needs it: finished attempts leave nothing scheduled, so the queue holds
      // only attempts under way (about a second of this load), not every attempt of the last minute.
      expect(Number(rows[0]?.count)).toBeLessThan(24);
      writeSummary(PRODUCTION_TIMINGS ? 'steady-load-production-timings' : 'steady-load', {
        paid,
        paidPerSecond: Number(rate.toFixed(1)),
        healedAfterMs: Math.round(healedAfterMs),
      });
    },
    HEAL_BOUND_MS + 60_000,
  );

  it('heals a backlog of charged orders left PENDING at many orders a second per replica', async () => {
    const count = 300;
    const charged: string[] = [];
    const workload = await identity.workload('payment-service');
    const chargeOne = async (i: number) => {
      const orderId = await createOrder(100 + i);
      const key = `order:${orderId}:key:${randomUUID().replace(/-/g, '')}`;
      const res = await fetch(`${url('payment-service')}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key, ...workload },
        body: JSON.stringify({
          amountCents: 100 + i,
          currency: 'EUR',
          reference: orderId,
          method: { type: 'card', token: 'tok_visa' },
        }),
      });
      expect(res.status).toBe(201);
      charged.push(orderId);
      // As an attempt that went quiet leaves it: held by its key long ago, due for a look now.
      await ordersDb.query(
        "UPDATE orders SET payment_key = $2, payment_key_at = now() + interval '1 hour', reconcile_after = 'infinity' WHERE id = $1",
        [orderId, key],
      );
    };
    // Made eight at a time, so that the setup takes seconds, not the measurement.
    for (let i = 0; i < count; i += 8) {
      await Promise.all(Array.from({ length: Math.min(8, count - i) }, (_, j) => chargeOne(i + j)));
    }
    const started = performance.now();
    // Until now each looked like a live attempt; now all went quiet at once.
    await ordersDb.query(
      "UPDATE orders SET payment_key_at = now() - interval '1 hour', reconcile_after = now() WHERE id = ANY($1::uuid[])",
      [charged],
    );
    await eventually(async () => {
      const { rows } = await ordersDb.query<{ count: string }>(
        "SELECT count(*) FROM orders WHERE id = ANY($1::uuid[]) AND status = 'PAID'",
        [charged],
      );
      return Number(rows[0]?.count) === count;
    }, 60_000);
    const seconds = (performance.now() - started) / 1_000;
    const perSecond = count / seconds;
    process.stdout.write(
      `Reconciler: ${count} orders healed in ${seconds.toFixed(2)} s: ${perSecond.toFixed(0)} per second, one replica\n`,
    );
    writeSummary('reconciler-throughput', {
      orders: count,
      seconds: Number(seconds.toFixed(2)),
      perSecond: Math.round(perSecond),
    });
  }, 180_000);

  it('payment-service dies before its charge reached the provider: the key is given back, and a retry charges once', async () => {
    const { orderId, key } = await paymentServiceDiesMidCharge(false);
    const res = await until([200], () => pay(orderId, key));
    expect(res.body['status']).toBe('PAID');
    expect((await paymentRows(orderId)).map((p) => p.status)).toEqual(['SUCCEEDED']);
  });

  it('converges after concurrent clients, repeated kill -9 of order-service and payment-service, and an immediate PostgreSQL stop', async () => {
    const next = seeded(20261127);
    let running = true;
    const statuses = new Map<number, number>();
    const client = async () => {
      while (running) {
        const orderId = await createOrderLenient();
        if (orderId === undefined) continue;
        const roll = next();
        let key = randomUUID();
        for (let attempt = 0; attempt < 4 && running; attempt++) {
          const res = await pay(orderId, key);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 200 || res.status === 409 || res.status === 402) break;
          if (roll < 0.3) key = randomUUID(); // a client that switches keys on failure
          await sleep(100);
        }
        if (roll > 0.7) await cancel(orderId);
      }
    };
    const kills = { 'order-service': 0, 'payment-service': 0, postgres: 0 };
    const chaos = async () => {
      let round = 0;
      while (running) {
        await sleep(800 + next() * 1_200);
        if (!running) break;
        round++;
        if (round === 4) {
          postgres.stop('immediate');
          kills.postgres++;
          await sleep(500);
          postgres.restart();
        } else {
          const victim = next() < 0.5 ? 'order-service' : 'payment-service';
          kills[victim]++;
          await crash(victim);
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    const chaosDone = chaos();
    await sleep(25_000);
    running = false;
    await Promise.all([...clients, chaosDone]);
    for (const service of SERVICES) await waitForHttp(`${url(service)}/health/ready`, { timeoutMs: 30_000 });

    const { rows } = await ordersDb.query<{ count: string }>("SELECT count(*) FROM orders WHERE status = 'PAID'");
    expect(Number(rows[0]?.count)).toBeGreaterThan(5);
    expect(statuses.get(500) ?? 0).toBe(0);
    const healedAfterMs = await eventually(healed);
    expect(await violations()).toEqual([]);
    const { rows: counts } = await ordersDb.query<{ status: string; count: string }>(
      'SELECT status, count(*) FROM orders GROUP BY status ORDER BY status',
    );
    const summary = {
      orders: Object.fromEntries(counts.map((c) => [c.status, Number(c.count)])),
      kills,
      answers: Object.fromEntries(statuses),
      healedAfterMs: Math.round(healedAfterMs),
    };
    writeSummary('randomised-round', summary);
    process.stdout.write(`Crash round: ${JSON.stringify(summary)}\n`);
  }, 180_000);
});

/** The suite's measurements, one section each, in dist/resilience/crash-consistency.json. */
const summaries: Record<string, unknown> = {};
function writeSummary(section: string, values: unknown): void {
  summaries[section] = values;
  const out = join(WORKSPACE_ROOT, 'dist/resilience');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'crash-consistency.json'), `${JSON.stringify(summaries, null, 2)}\n`);
}

/** Orders are created while services die too: a failed create is simply not an order. */
async function createOrderLenient(): Promise<string | undefined> {
  const res = await send('POST', '/orders', {
    userId,
    currency: 'EUR',
    items: [{ sku: 'CHAOS', quantity: 1, unitPriceCents: 500 }],
  });
  if (res.status !== 201) {
    await sleep(100);
    return undefined;
  }
  return String(res.body['id']);
}

/** A small deterministic generator, so a failure replays the same choices. */
function seeded(seed: number) {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}
