import { randomUUID } from 'node:crypto';
import { bearer, ORDER_SERVICE_ACCOUNT, TestIssuer } from '@platform/auth/testing';
import {
  checkedAgent,
  ContractChecker,
  expectProblem,
  itServesItsCommittedContract,
} from '@platform/contracts/testing';
import { WORKSPACE_ROOT, STARTUP_HOOK_TIMEOUT_MS } from '@platform/testing';
import request from 'supertest';
import { testEngines } from '@platform/persistence/testing';
import { FlakyProxy, hangingServer, type RunningService, startPaymentService, startUserService } from './dependencies';
import { api as contract } from '../src/api';
import { startTestService, type TestService } from './harness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let issuer: TestIssuer;
let users: RunningService;
let payments: RunningService;
let admin: string;
beforeAll(async () => {
  issuer = await TestIssuer.start();
  [users, payments] = await Promise.all([startUserService(issuer), startPaymentService(issuer)]);
  admin = await issuer.admin();
}, STARTUP_HOOK_TIMEOUT_MS);
afterAll(async () => {
  await Promise.all([users.process.stop(), payments.process.stop()]);
  await issuer.close();
});

/** A person with a user profile in user-service: their token and their user's id. */
async function personWithProfile(subject: string): Promise<{ token: string; userId: string }> {
  const token = await issuer.person(subject);
  const created = await fetch(`${users.url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token) },
    body: JSON.stringify({ email: `${subject}@example.com`, name: subject }),
  });
  expect(created.status).toBe(201);
  return { token, userId: ((await created.json()) as { id: string }).id };
}

describe.each(testEngines())('order-service API on %s', (engine) => {
  let service: TestService;
  let proxy: FlakyProxy;
  let userId: string;
  let buyer: string;

  beforeAll(async () => {
    proxy = await FlakyProxy.start(payments.url);
    service = await startTestService(engine, { issuer, userServiceUrl: users.url, paymentServiceUrl: proxy.url });
    ({ token: buyer, userId } = await personWithProfile(`buyer-${randomUUID()}`));
  });
  afterAll(async () => {
    await service.close();
    await proxy.close();
  });
  beforeEach(() => proxy.set('pass'));

  /** An agent for the caller with this token (none: no Authorization header). */
  const as = (token?: string) =>
    checkedAgent(request(service.server), checker, token === undefined ? {} : bearer(token));
  /** The buyer's agent. */
  const api = () => as(buyer);
  // Every response these tests see must be one the service's OpenAPI document allows.
  const checker = new ContractChecker(contract.document);
  afterEach(() => expect(checker.violations.splice(0)).toEqual([]));

  itServesItsCommittedContract(
    WORKSPACE_ROOT,
    'order-service',
    async () => (await request(service.server).get('/openapi.json').expect(200)).body,
  );
  const items = [
    { sku: 'BOOK-1', quantity: 2, unitPriceCents: 1250 },
    { sku: 'pen_blue.2', quantity: 1, unitPriceCents: 99 },
  ];
  const createOrder = (overrides: Record<string, unknown> = {}) =>
    api()
      .post('/orders')
      .send({ userId, currency: 'EUR', items, ...overrides });
  const newOrder = async () => (await createOrder().expect(201)).body as { id: string; totalCents: number };
  const pay = (id: string, token = 'tok_visa', key?: string) => {
    const req = api().post(`/orders/${id}/pay`);
    return (key === undefined ? req : req.set('idempotency-key', key)).send({ paymentMethod: { type: 'card', token } });
  };
  const paymentsFor = async (orderId: string) =>
    (
      (await (
        await fetch(`${payments.url}/payments?reference=${orderId}&limit=100`, { headers: bearer(admin) })
      ).json()) as {
        items: { id: string; status: string; amountCents: number; refundId: string | null }[];
      }
    ).items;

  describe('POST /orders', () => {
    it('creates a PENDING order with the total computed by the server, 201 and a Location', async () => {
      const res = await createOrder().expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        userId,
        owner: { issuer: issuer.url, subject: expect.stringMatching(/^buyer-/) },
        currency: 'EUR',
        items,
        totalCents: 2 * 1250 + 99,
        status: 'PENDING',
        paymentId: null,
        refundId: null,
        createdAt: expect.any(String),
        updatedAt: res.body.createdAt,
      });
      expect(res.headers['location']).toBe(`/orders/${res.body.id}`);
      await api().get(`/orders/${res.body.id}`).expect(200, res.body);
    });

    it.each([
      ['no items', { items: [] }, 'items'],
      ['101 items', { items: Array.from({ length: 101 }, () => items[0]) }, 'items'],
      ['a quantity of 0', { items: [{ ...items[0], quantity: 0 }] }, 'items.0.quantity'],
      ['a quantity of 1001', { items: [{ ...items[0], quantity: 1001 }] }, 'items.0.quantity'],
      ['a negative price', { items: [{ ...items[0], unitPriceCents: -1 }] }, 'items.0.unitPriceCents'],
      ['a price over 100000000', { items: [{ ...items[0], unitPriceCents: 100_000_001 }] }, 'items.0.unitPriceCents'],
      ['a float price', { items: [{ ...items[0], unitPriceCents: 12.5 }] }, 'items.0.unitPriceCents'],
      ['a bad sku', { items: [{ ...items[0], sku: 'has space' }] }, 'items.0.sku'],
      ['a 65-character sku', { items: [{ ...items[0], sku: 'x'.repeat(65) }] }, 'items.0.sku'],
      ['an unsupported currency', { currency: 'XXX' }, 'currency'],
      ['a client-sent total', { totalCents: 1 }, 'totalCents'],
      ['a malformed user id', { userId: 'u1' }, 'userId'],
      ['a total of zero', { items: [{ ...items[0], unitPriceCents: 0 }] }, 'items'],
    ])('rejects %s with 400', async (_case, overrides, field) => {
      const res = await createOrder(overrides);
      expectProblem(res, 400, 'validation-error');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('accepts the limits: 100 items, quantity 1000, price 0 and 100000000, a 64-character sku', async () => {
      const many = Array.from({ length: 100 }, (_, i) => ({ sku: `S${i}`, quantity: 1, unitPriceCents: 1 }));
      await createOrder({ items: many }).expect(201);
      const edge = [
        { sku: 'x'.repeat(64), quantity: 1000, unitPriceCents: 100_000_000 },
        { sku: 'free', quantity: 1, unitPriceCents: 0 },
      ];
      const res = await createOrder({ items: edge }).expect(201);
      expect(res.body.totalCents).toBe(100_000_000_000);
    });

    it('answers 422 for a user that does not exist, naming the field', async () => {
      const res = await createOrder({ userId: randomUUID() });
      expectProblem(res, 422, 'unprocessable');
      expect(res.body.errors).toEqual([{ in: 'body', field: 'userId', message: 'is not a known user' }]);
    });

    it('answers the user id as it reads it back, in lower case, whatever case it came in', async () => {
      const created = await createOrder({ userId: userId.toUpperCase() }).expect(201);
      expect(created.body.userId).toBe(userId);
      expect((await api().get(`/orders/${created.body.id}`).expect(200)).body).toEqual(created.body);
    });

    it('refuses ids in any form but the canonical one (no urn:uuid: prefix, no braces) with 400', async () => {
      for (const id of [`urn:uuid:${userId}`, `{${userId}}`, userId.replace(/-/g, '')]) {
        expectProblem(await createOrder({ userId: id }), 400, 'validation-error');
        expectProblem(await api().get(`/orders/${id}`), 400, 'validation-error');
        expectProblem(await api().get(`/orders?userId=${encodeURIComponent(id)}`), 400, 'validation-error');
      }
    });
  });

  describe('GET /orders', () => {
    it('lists the caller’s own orders, by status and in pages; an administrator filters anyone’s by user', async () => {
      const lister = await personWithProfile(`lister-${randomUUID()}`);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await as(lister.token).post('/orders').send({ currency: 'EUR', items }).expect(201)).body.id);
      }
      await as(lister.token)
        .post(`/orders/${ids[1]}/pay`)
        .send({ paymentMethod: { type: 'card', token: 'tok_visa' } })
        .expect(200);
      await createOrder().expect(201);
      const mine = as(lister.token);
      const first = await mine.get('/orders?limit=2').expect(200);
      expect(first.body.items.map((o: { id: string }) => o.id)).toEqual(ids.slice(0, 2));
      const rest = await mine.get(`/orders?limit=2&cursor=${first.body.nextCursor}`).expect(200);
      expect(rest.body).toEqual({ items: [expect.objectContaining({ id: ids[2] })], nextCursor: null });
      const paid = await mine.get('/orders?status=PAID').expect(200);
      expect(paid.body.items.map((o: { id: string }) => o.id)).toEqual([ids[1]]);
      // Someone else's user as a filter narrows the caller's own orders to none.
      expect((await api().get(`/orders?userId=${lister.userId}`).expect(200)).body.items).toEqual([]);
      const byAdmin = await as(admin).get(`/orders?userId=${lister.userId}&limit=100`).expect(200);
      expect(byAdmin.body.items.map((o: { id: string }) => o.id)).toEqual(ids);
    });

    it('rejects bad filters with 400, a malformed id with 400 and an unknown one with 404', async () => {
      for (const query of ['status=SHIPPED', 'limit=0', 'limit=101', 'userId=x', 'cursor=bad', 'sort=asc']) {
        expectProblem(await api().get(`/orders?${query}`), 400, 'validation-error');
      }
      expectProblem(await api().get('/orders/nope'), 400, 'validation-error');
      expectProblem(await api().get(`/orders/${randomUUID()}`), 404, 'not-found');
    });
  });

  describe('POST /orders/{id}/pay', () => {
    it('pays a PENDING order: 200, PAID with the payment id, and exactly one payment for it', async () => {
      const order = await newOrder();
      const res = await pay(order.id).expect(200);
      expect(res.body).toMatchObject({
        id: order.id,
        status: 'PAID',
        paymentId: expect.stringMatching(UUID),
        refundId: null,
      });
      const charged = await paymentsFor(order.id);
      expect(charged).toEqual([
        expect.objectContaining({ id: res.body.paymentId, status: 'SUCCEEDED', amountCents: order.totalCents }),
      ]);
    });

    it('answers a retried request with the paid order, and a new payment attempt with 409', async () => {
      const order = await newOrder();
      const key = randomUUID();
      const first = await pay(order.id, 'tok_visa', key).expect(200);
      const retry = await pay(order.id, 'tok_visa', key).expect(200);
      expect(retry.body).toEqual(first.body);
      const retryWithoutKey = await pay(order.id, 'tok_visa').expect(409);
      expectProblem(retryWithoutKey, 409, 'order-already-paid');
      expect(await paymentsFor(order.id)).toHaveLength(1);
    });

    it('answers 402 for a declined card, keeps the order PENDING, and lets another card pay it', async () => {
      const order = await newOrder();
      const declined = await pay(order.id, 'tok_chargeDeclined');
      expectProblem(declined, 402, 'payment-declined');
      expect(declined.body).toMatchObject({ failureCode: 'card_declined', paymentId: expect.stringMatching(UUID) });
      expect((await api().get(`/orders/${order.id}`).expect(200)).body.status).toBe('PENDING');
      const paid = await pay(order.id, 'tok_mastercard').expect(200);
      expect(paid.body.status).toBe('PAID');
      const charged = await paymentsFor(order.id);
      expect(charged.map((p) => p.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
    });

    it('charges once for concurrent pay requests, whatever cards they carry', async () => {
      const order = await newOrder();
      const tokens = ['tok_visa', 'tok_visa', 'tok_mastercard', 'tok_amex', 'tok_visa', 'tok_mastercard'];
      const results = await Promise.all(tokens.map((token) => pay(order.id, token)));
      expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
      const paid = results.filter((r) => r.status === 200);
      expect(paid.length).toBeGreaterThanOrEqual(1);
      expect(new Set(paid.map((r) => r.body.paymentId)).size).toBe(1);
      expect((await paymentsFor(order.id)).filter((p) => p.status === 'SUCCEEDED')).toHaveLength(1);
    });

    it('completes the order with the one charge when payment-service fails after charging', async () => {
      const order = await newOrder();
      proxy.set('drop-after-forward', 1);
      const res = await pay(order.id).expect(200);
      expect(res.body.status).toBe('PAID');
      expect(proxy.forwardedWrites).toBeGreaterThanOrEqual(2);
      expect(await paymentsFor(order.id)).toEqual([
        expect.objectContaining({ id: res.body.paymentId, status: 'SUCCEEDED' }),
      ]);
    });

    it('answers 503 when payment-service keeps failing after charging, and a retry then completes with no second charge', async () => {
      const order = await newOrder();
      proxy.set('drop-after-forward');
      const failed = await pay(order.id);
      expectProblem(failed, 503, 'dependency-unavailable');
      expect(failed.headers['retry-after']).toBe('2');
      expect(await paymentsFor(order.id)).toHaveLength(1);
      proxy.set('pass');
      const retried = await pay(order.id).expect(200);
      expect(await paymentsFor(order.id)).toEqual([
        expect.objectContaining({ id: retried.body.paymentId, status: 'SUCCEEDED' }),
      ]);
    });

    it('answers 503 fast when payment-service is unavailable, charging nothing', async () => {
      const order = await newOrder();
      proxy.set('unavailable');
      const started = performance.now();
      expectProblem(await pay(order.id), 503, 'dependency-unavailable');
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(await paymentsFor(order.id)).toEqual([]);
    });

    it('answers 409 for an order that is not PENDING, and 404 and 400 as usual', async () => {
      const order = await newOrder();
      await api().post(`/orders/${order.id}/cancel`).expect(200);
      expectProblem(await pay(order.id), 409, 'order-not-pending');
      expectProblem(await pay(randomUUID()), 404, 'not-found');
      expectProblem(await pay(order.id, '4242424242424242'), 400, 'validation-error');
      expectProblem(
        await api()
          .post(`/orders/${order.id}/pay`)
          .send({ paymentMethod: { type: 'card' } }),
        400,
        'validation-error',
      );
      expectProblem(await pay(order.id, 'tok_visa', 'x'.repeat(256)), 400, 'validation-error');
    });
  });

  describe('POST /orders/{id}/cancel', () => {
    it('cancels a PENDING order, then answers 409 already cancelled', async () => {
      const order = await newOrder();
      const res = await api().post(`/orders/${order.id}/cancel`).expect(200);
      expect(res.body).toMatchObject({ status: 'CANCELLED', paymentId: null, refundId: null });
      expectProblem(await api().post(`/orders/${order.id}/cancel`), 409, 'order-already-cancelled');
    });

    it('refunds a PAID order first and keeps its refund id', async () => {
      const order = await newOrder();
      const paid = (await pay(order.id).expect(200)).body;
      const res = await api().post(`/orders/${order.id}/cancel`).expect(200);
      expect(res.body).toMatchObject({
        status: 'CANCELLED',
        paymentId: paid.paymentId,
        refundId: expect.stringMatching(UUID),
      });
      expect(await paymentsFor(order.id)).toEqual([
        expect.objectContaining({ id: paid.paymentId, status: 'REFUNDED' }),
      ]);
      expectProblem(await api().post(`/orders/${order.id}/cancel`), 409, 'order-already-cancelled');
    });

    it('answers 404 for an unknown order', async () => {
      expectProblem(await api().post(`/orders/${randomUUID()}/cancel`), 404, 'not-found');
    });
  });

  describe('healing what a crash left half-finished', () => {
    // A second order-service on its own database whose payment attempts go quiet after one second,
    // behind the same misbehaving proxy: a lost answer leaves exactly what a crash would.
    let quick: TestService;
    beforeAll(async () => {
      quick = await startTestService(engine, {
        issuer,
        userServiceUrl: users.url,
        paymentServiceUrl: proxy.url,
        paymentAttemptHoldMs: 1_000,
      });
    });
    afterAll(() => quick.close());
    const quickApi = () => checkedAgent(request(quick.server), checker, bearer(buyer));
    const quickOrder = async () =>
      (await quickApi().post('/orders').send({ userId, currency: 'EUR', items }).expect(201)).body as {
        id: string;
        totalCents: number;
      };
    const quickPay = (id: string, key = randomUUID()) =>
      quickApi()
        .post(`/orders/${id}/pay`)
        .set('idempotency-key', key)
        .send({ paymentMethod: { type: 'card', token: 'tok_visa' } });
    const quickGet = async (id: string) => (await quickApi().get(`/orders/${id}`).expect(200)).body;
    const goQuiet = () => new Promise((resolve) => setTimeout(resolve, 1_100));
    const repairsOf = (repairs: readonly { order_id?: unknown; repair: string }[], id: string) =>
      repairs.filter((r) => r.order_id === id).map((r) => r.repair);
    /** A charge made behind order-service's back, as an overruled attempt that lands late would be. */
    const chargeDirectly = async (orderId: string, amountCents: number) => {
      const res = await fetch(`${payments.url}/payments`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `late-${randomUUID()}`,
          ...bearer(await issuer.workload('payment-service')),
        },
        body: JSON.stringify({
          amountCents,
          currency: 'EUR',
          reference: orderId,
          method: { type: 'card', token: 'tok_visa' },
        }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };

    it('completes a charged order left PENDING, without the client, once the attempt went quiet', async () => {
      const order = await quickOrder();
      const key = randomUUID();
      proxy.set('drop-after-forward');
      expectProblem(await quickPay(order.id, key), 503, 'dependency-unavailable');
      const [charge] = await paymentsFor(order.id);
      expect(charge).toMatchObject({ status: 'SUCCEEDED' });
      // Still held by the attempt: the reconciler leaves a live attempt alone.
      expect(repairsOf(await quick.reconciler.reconcile(), order.id)).toEqual([]);
      expect(await quickGet(order.id)).toMatchObject({ status: 'PENDING' });

      await goQuiet();
      expect(repairsOf(await quick.reconciler.reconcile(), order.id)).toEqual(['completed-payment']);
      expect(await quickGet(order.id)).toMatchObject({ status: 'PAID', paymentId: charge?.id });
      expect(repairsOf(await quick.reconciler.reconcile(), order.id)).toEqual([]);
      expect(await paymentsFor(order.id)).toEqual([expect.objectContaining({ id: charge?.id, status: 'SUCCEEDED' })]);
      // The client's retry with its original key after the repair: the PAID order, not a conflict.
      proxy.set('pass');
      const retry = await quickPay(order.id, key).expect(200);
      expect(retry.body).toMatchObject({ status: 'PAID', paymentId: charge?.id });
    });

    it('cancels a PAID order whose payment an administrator refunded behind its back, with no client action', async () => {
      const order = await quickOrder();
      const paid = (await quickPay(order.id).expect(200)).body;
      // A finished payment is off the reconciler's schedule: healing works on what needs it.
      const { rows } = await quick.db.query<{ reconcile_after: Date | null }>(
        'SELECT reconcile_after FROM orders WHERE id = $1',
        [order.id],
      );
      expect(rows[0]?.reconcile_after).toBeNull();
      const refund = await fetch(`${payments.url}/payments/${paid.paymentId}/refunds`, {
        method: 'POST',
        headers: { 'idempotency-key': randomUUID(), ...bearer(await issuer.admin()) },
      });
      expect(refund.status).toBe(201);
      const { id: refundId } = (await refund.json()) as { id: string };

      expect(repairsOf(await quick.reconciler.reconcile(), order.id)).toEqual(['cancelled-refunded-order']);
      expect(await quickGet(order.id)).toMatchObject({ status: 'CANCELLED', paymentId: paid.paymentId, refundId });
      expect(repairsOf(await quick.reconciler.reconcile(), order.id)).toEqual([]);
    });

    it('refunds the charge of a quiet attempt when the client cancels instead: CANCELLED with its refund', async () => {
      const order = await quickOrder();
      const key = randomUUID();
      proxy.set('drop-after-forward');
      expectProblem(await quickPay(order.id, key), 503, 'dependency-unavailable');
      proxy.set('pass');
      expectProblem(await quickApi().post(`/orders/${order.id}/cancel`), 409, 'idempotency-key-in-progress');

      await goQuiet();
      const cancelled = (await quickApi().post(`/orders/${order.id}/cancel`).expect(200)).body;
      const [charge] = await paymentsFor(order.id);
      expect(cancelled).toMatchObject({
        status: 'CANCELLED',
        paymentId: charge?.id,
        refundId: expect.stringMatching(UUID),
      });
      expect(charge).toMatchObject({ status: 'REFUNDED', refundId: cancelled.refundId });
      expectProblem(await quickPay(order.id, key), 409, 'order-not-pending');
      expect(repairsOf(await quick.reconciler.reconcile(), order.id)).toEqual([]);
    });

    it('cancels a PAID order whose refund went through when the answer was lost', async () => {
      const order = await quickOrder();
      const paid = (await quickPay(order.id).expect(200)).body;
      proxy.set('drop-after-forward');
      expectProblem(await quickApi().post(`/orders/${order.id}/cancel`), 503, 'dependency-unavailable');
      expect(await quickGet(order.id)).toMatchObject({ status: 'PAID' });
      const [refunded] = await paymentsFor(order.id);
      expect(refunded).toMatchObject({ id: paid.paymentId, status: 'REFUNDED' });

      expect(repairsOf(await quick.reconciler.reconcile(), order.id)).toEqual(['cancelled-refunded-order']);
      expect(await quickGet(order.id)).toMatchObject({ status: 'CANCELLED', refundId: refunded?.refundId });
    });

    it('finishes an accepted cancel whose refund never reached payment-service', async () => {
      const order = await quickOrder();
      const paid = (await quickPay(order.id).expect(200)).body;
      proxy.set('unavailable');
      expectProblem(await quickApi().post(`/orders/${order.id}/cancel`), 503, 'dependency-unavailable');
      proxy.set('pass');
      expect(repairsOf(await quick.reconciler.reconcile(), order.id)).toEqual(['finished-cancel']);
      const [refunded] = await paymentsFor(order.id);
      expect(refunded).toMatchObject({ id: paid.paymentId, status: 'REFUNDED' });
      expect(await quickGet(order.id)).toMatchObject({ status: 'CANCELLED', refundId: refunded?.refundId });
    });

    it('refunds a late charge behind a cancelled order, and a second charge behind a paid one', async () => {
      const cancelled = await quickOrder();
      proxy.set('unavailable');
      expectProblem(await quickPay(cancelled.id), 503, 'dependency-unavailable');
      proxy.set('pass');
      await goQuiet();
      await quickApi().post(`/orders/${cancelled.id}/cancel`).expect(200);
      const late = await chargeDirectly(cancelled.id, cancelled.totalCents);

      const paid = await quickOrder();
      const { paymentId } = (await quickPay(paid.id).expect(200)).body;
      const second = await chargeDirectly(paid.id, paid.totalCents);

      const repairs = await quick.reconciler.reconcile();
      expect(repairsOf(repairs, cancelled.id)).toEqual(['refunded-charge-behind-cancelled-order']);
      expect(repairsOf(repairs, paid.id)).toEqual(['refunded-extra-charge']);
      expect(await paymentsFor(cancelled.id)).toEqual([expect.objectContaining({ id: late, status: 'REFUNDED' })]);
      expect(await quickGet(cancelled.id)).toMatchObject({
        status: 'CANCELLED',
        paymentId: late,
        refundId: expect.stringMatching(UUID),
      });
      expect(await paymentsFor(paid.id)).toEqual([
        expect.objectContaining({ id: paymentId, status: 'SUCCEEDED' }),
        expect.objectContaining({ id: second, status: 'REFUNDED' }),
      ]);
      expect(await quickGet(paid.id)).toMatchObject({ status: 'PAID', paymentId });
    });

    it('repairs each order once when several replicas reconcile at the same moment', async () => {
      const orders = await Promise.all([1, 2, 3, 4].map(() => quickOrder()));
      proxy.set('drop-after-forward');
      for (const order of orders) expectProblem(await quickPay(order.id), 503, 'dependency-unavailable');
      proxy.set('pass');
      await goQuiet();
      const runs = await Promise.all([1, 2, 3].map(() => quick.reconciler.reconcile()));
      for (const order of orders) {
        expect(runs.flatMap((repairs) => repairsOf(repairs, order.id))).toEqual(['completed-payment']);
        expect(await quickGet(order.id)).toMatchObject({ status: 'PAID' });
      }
    });
  });

  describe('who may do what', () => {
    it('orders for the caller’s own user: another person’s user is as unknown as none (422); omitted, their profile', async () => {
      const other = await personWithProfile(`other-${randomUUID()}`);
      const refused = await createOrder({ userId: other.userId });
      expectProblem(refused, 422, 'unprocessable');
      expect(refused.body.errors).toEqual([{ in: 'body', field: 'userId', message: 'is not a known user' }]);
      const own = await as(other.token).post('/orders').send({ currency: 'EUR', items }).expect(201);
      expect(own.body).toMatchObject({ userId: other.userId, owner: { subject: expect.stringMatching(/^other-/) } });
      const stranger = await issuer.person(`no-profile-${randomUUID()}`);
      const none = await as(stranger).post('/orders').send({ currency: 'EUR', items });
      expectProblem(none, 422, 'unprocessable');
      expect(none.body.errors).toEqual([
        { in: 'body', field: 'userId', message: 'is required: the caller has no user profile' },
      ]);
    });

    it('lets only the owner and an administrator see, pay and cancel an order; to others it does not exist', async () => {
      const order = await newOrder();
      const other = await issuer.person(`other-${randomUUID()}`);
      for (const res of [
        await as(other).get(`/orders/${order.id}`),
        await as(other)
          .post(`/orders/${order.id}/pay`)
          .send({ paymentMethod: { type: 'card', token: 'tok_visa' } }),
        await as(other).post(`/orders/${order.id}/cancel`),
      ]) {
        expectProblem(res, 404, 'not-found');
        expect(res.body.detail).toBe(`Order ${order.id} does not exist.`);
      }
      expect(await paymentsFor(order.id)).toEqual([]);
      expect((await as(other).get('/orders').expect(200)).body.items).toEqual([]);
      await as(admin).get(`/orders/${order.id}`).expect(200);
      await as(admin).post(`/orders/${order.id}/cancel`).expect(200);
      expect((await api().get(`/orders/${order.id}`).expect(200)).body.status).toBe('CANCELLED');
    });

    it('answers 401 without a token, before anything else, and 403 to a token without the scope', async () => {
      const order = await newOrder();
      for (const res of [
        await as().get('/orders'),
        await as().get(`/orders/${order.id}`),
        await as().post('/orders').set('content-type', 'text/plain').send('x'),
        await as().post(`/orders/${order.id}/pay`).send({}),
        await as().post(`/orders/${order.id}/cancel`),
      ]) {
        expectProblem(res, 401, 'authentication-required');
        expect(res.headers['www-authenticate']).toBe('Bearer realm="platform"');
      }
      const readOnly = await issuer.person('reader', { scope: 'orders:read' });
      const refused = await as(readOnly).post('/orders').send({ currency: 'EUR', items });
      expectProblem(refused, 403, 'insufficient-scope');
      expect(refused.headers['www-authenticate']).toBe(
        'Bearer realm="platform", error="insufficient_scope", scope="orders:write"',
      );
      // A workload token is no person: order-service's own token for itself is refused too.
      expectProblem(await as(await issuer.workload('order-service')).get('/orders'), 403, 'insufficient-scope');
    });

    it('calls payment-service with its own workload token, never the person’s', async () => {
      const order = await newOrder();
      await pay(order.id).expect(200);
      const sent = String(proxy.lastHeaders['authorization']).replace(/^Bearer /, '');
      expect(sent).not.toBe(buyer);
      const claims = JSON.parse(Buffer.from(sent.split('.')[1] as string, 'base64url').toString()) as object;
      expect(claims).toMatchObject({ sub: ORDER_SERVICE_ACCOUNT, aud: 'payment-service' });
    });
  });

  describe('operations', () => {
    it('stays ready when a dependency is down: dependencies show in metrics and logs instead', async () => {
      proxy.set('unavailable');
      const order = await newOrder();
      expectProblem(await pay(order.id), 503, 'dependency-unavailable');
      await api().get('/health/ready').expect(200);
      const metrics = await api().get('/metrics').expect(200);
      expect(metrics.text).toMatch(
        /http_client_request_duration_seconds_count\{peer="payment-service",method="POST",route="\/payments",status_code="503"\} \d+/,
      );
      expect(metrics.text).toMatch(
        /http_server_requests_total\{method="POST",route="\/orders\/:id\/pay",status_code="503"\} \d+/,
      );
      expect(service.logs.some((l) => l.includes('retrying a call to a dependency'))).toBe(true);
    });

    it('forwards its request id, and an idempotency key, to the services it calls', async () => {
      const order = await newOrder();
      await pay(order.id).set('x-request-id', 'order-req-42').expect(200);
      expect(proxy.lastHeaders).toMatchObject({
        'x-request-id': 'order-req-42',
        'idempotency-key': expect.stringMatching(/^order:/),
      });
      expect(service.logs.some((l) => l.includes('"request_id":"order-req-42"'))).toBe(true);
    });
  });
});

describe('order-service with user-service down or hung', () => {
  it('answers 503 with Retry-After, fast, when user-service refuses connections', async () => {
    const service = await startTestService('pglite', {
      issuer,
      userServiceUrl: 'http://127.0.0.1:9',
      paymentServiceUrl: 'http://127.0.0.1:9',
    });
    try {
      const token = await issuer.person('ada');
      const started = performance.now();
      const res = await request(service.server)
        .post('/orders')
        .set(bearer(token))
        .send({ userId: randomUUID(), currency: 'USD', items: [{ sku: 'a', quantity: 1, unitPriceCents: 1 }] });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ type: 'urn:problem-type:dependency-unavailable', dependency: 'user-service' });
      expect(res.headers['retry-after']).toBe('2');
      expect(performance.now() - started).toBeLessThan(2_000);
      expect((await service.db.query('SELECT * FROM orders')).rowCount).toBe(0);
    } finally {
      await service.close();
    }
  });

  it('answers 503 within its timeouts when user-service never answers, writing nothing', async () => {
    const hung = await hangingServer();
    const service = await startTestService('pglite', {
      issuer,
      userServiceUrl: hung.url,
      paymentServiceUrl: 'http://127.0.0.1:9',
      userServiceTimeoutMs: 200,
    });
    try {
      const token = await issuer.person('ada');
      const started = performance.now();
      const res = await request(service.server)
        .post('/orders')
        .set(bearer(token))
        .send({ userId: randomUUID(), currency: 'USD', items: [{ sku: 'a', quantity: 1, unitPriceCents: 1 }] });
      expect(res.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(3 * 200 + 1_500);
      expect((await service.db.query('SELECT * FROM orders')).rowCount).toBe(0);
    } finally {
      await service.close();
      await hung.close();
    }
  });
});
