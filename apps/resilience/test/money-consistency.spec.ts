import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
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
import { TestIdentity } from './identity';

// Many clients creating, paying (some retrying with the same key, some with declined cards, some
// racing each other) and cancelling at once. Afterwards no order is charged twice, every PAID or
// refunded order matches exactly one payment, refunds match their payments, and the totals add up.
const ORDERS = 24;
let dataRoot: string;
const urls: Record<string, string> = {};
const children: RunningProcess[] = [];
let identity: TestIdentity;
/** The buyer of every order; an administrator reads the payments. */
let buyer: Record<string, string>;
let admin: Record<string, string>;

async function start(name: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const dist = join(WORKSPACE_ROOT, 'dist/apps', name);
  const child = startNode(builtServiceArgs(dist), {
    env: {
      PATH: process.env['PATH'],
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(dataRoot, name),
      LOG_LEVEL: 'error',
      ...identity.env(name),
      ...env,
    },
    keepLines: 100,
  });
  children.push(child);
  urls[name] = `http://127.0.0.1:${port}`;
  await waitForHttp(`${urls[name]}/health/ready`, { process: child });
}

const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(url, {
    method,
    headers: { ...buyer, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** A small deterministic generator, so a failure replays the same interleaving of intents. */
function random(seed: number) {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}

beforeAll(async () => {
  dataRoot = mkdtempSync(join(tmpdir(), 'money-'));
  identity = await TestIdentity.start();
  buyer = await identity.person(`money-${randomUUID()}`);
  admin = await identity.admin();
  await Promise.all([start('user-service'), start('payment-service')]);
  await start('order-service', {
    USER_SERVICE_URL: urls['user-service'] as string,
    PAYMENT_SERVICE_URL: urls['payment-service'] as string,
  });
}, STARTUP_HOOK_TIMEOUT_MS);

afterAll(async () => {
  const codes = await Promise.all(children.map((child) => child.stop('SIGTERM')));
  await identity.close();
  rmSync(dataRoot, { recursive: true, force: true });
  expect(codes).toEqual([0, 0, 0]);
});

it('never charges an order twice and keeps orders, payments and refunds in agreement', async () => {
  const user = await call('POST', `${urls['user-service']}/users`, {
    email: `money-${randomUUID()}@example.com`,
    name: 'Money',
  });
  const next = random(20261126);
  const orders = await Promise.all(
    Array.from({ length: ORDERS }, (_, i) =>
      call('POST', `${urls['order-service']}/orders`, {
        userId: user.body['id'],
        currency: i % 3 === 0 ? 'USD' : 'EUR',
        items: [{ sku: `SKU-${i}`, quantity: 1 + (i % 4), unitPriceCents: 150 + 37 * i }],
      }),
    ),
  );
  expect(orders.every((o) => o.status === 201)).toBe(true);

  const pay = (id: unknown, token: string, key?: string) =>
    call(
      'POST',
      `${urls['order-service']}/orders/${String(id)}/pay`,
      { paymentMethod: { type: 'card', token } },
      key === undefined ? {} : { 'idempotency-key': key },
    );
  const cancel = (id: unknown) => call('POST', `${urls['order-service']}/orders/${String(id)}/cancel`);

  // Every order gets a burst of concurrent intents: retries of one key, a declined card, racing
  // cards, and sometimes a cancel in the middle.
  const statuses: number[] = [];
  await Promise.all(
    orders.map(async ({ body: order }) => {
      const key = randomUUID();
      const intents = [
        () => pay(order['id'], 'tok_visa', key),
        () => pay(order['id'], 'tok_visa', key),
        () => pay(order['id'], next() < 0.5 ? 'tok_chargeDeclined' : 'tok_insufficientFunds'),
        () => pay(order['id'], 'tok_mastercard'),
        ...(next() < 0.4 ? [() => cancel(order['id'])] : []),
      ];
      const results = await Promise.all(intents.map((intent) => intent()));
      statuses.push(...results.map((r) => r.status));
      if (next() < 0.3) statuses.push((await cancel(order['id'])).status);
    }),
  );
  // Only the answers the contract allows, and no server error.
  expect(statuses.filter((s) => ![200, 402, 409].includes(s))).toEqual([]);

  let paidTotal = 0;
  let succeededTotal = 0;
  let refundedOrdersTotal = 0;
  let refundedPaymentsTotal = 0;
  for (const { body: created } of orders) {
    const order = (await call('GET', `${urls['order-service']}/orders/${String(created['id'])}`)).body as {
      id: string;
      status: string;
      totalCents: number;
      currency: string;
      paymentId: string | null;
      refundId: string | null;
    };
    const payments = (
      await call('GET', `${urls['payment-service']}/payments?reference=${order.id}&limit=100`, undefined, admin)
    ).body['items'] as {
      id: string;
      status: string;
      amountCents: number;
      currency: string;
    }[];
    const charged = payments.filter((p) => p.status === 'SUCCEEDED' || p.status === 'REFUNDED');
    expect({ order: order.id, charges: charged.length }).toEqual({
      order: order.id,
      charges: Math.min(charged.length, 1),
    });
    const [charge] = charged;
    if (order.status === 'PAID') {
      expect(charge).toMatchObject({
        id: order.paymentId,
        status: 'SUCCEEDED',
        amountCents: order.totalCents,
        currency: order.currency,
      });
      paidTotal += order.totalCents;
    } else if (order.status === 'CANCELLED' && order.refundId !== null) {
      expect(charge).toMatchObject({
        id: order.paymentId,
        status: 'REFUNDED',
        amountCents: order.totalCents,
        currency: order.currency,
      });
      refundedOrdersTotal += order.totalCents;
    } else {
      expect({ order: order.id, status: order.status, charge }).toEqual({
        order: order.id,
        status: order.status,
        charge: undefined,
      });
    }
    for (const p of payments) {
      if (p.status === 'SUCCEEDED') succeededTotal += p.amountCents;
      if (p.status === 'REFUNDED') refundedPaymentsTotal += p.amountCents;
    }
  }
  expect(succeededTotal).toBe(paidTotal);
  expect(refundedPaymentsTotal).toBe(refundedOrdersTotal);
  expect(paidTotal + refundedOrdersTotal).toBeGreaterThan(0);
}, 120_000);
