import type { Person, Principal } from '@platform/auth';
import { ADMIN_SCOPE } from '@platform/auth';
import { problems } from '@platform/errors';
import { problemOf, TestClock } from '@platform/testing';
import { InMemoryCheckpoints } from '@platform/persistence/testing';
import type { Repair } from '@platform/runtime';
import { Orders } from '../src/orders/orders';
import { Reconciler } from '../src/orders/reconciler';
import { DECLINED_TOKEN, InMemoryOrderStore, InMemoryPaymentGateway, InMemoryUserDirectory } from './in-memory';

/*
 * The rules of orders (pay, cancel, refund, reconcile) on in-memory ports: no database, no other
 * service, no process. The same rules over PostgreSQL and real services: orders.spec.ts.
 */

const ATTEMPT_STALE_MS = 30_000;
const RECONCILE_AFTER_MS = 60_000;
const WATCH_MS = 3_600_000;
const ISSUER = 'https://issuer.test';

const person = (subject: string, scopes: string[] = []): Person => ({
  kind: 'person',
  issuer: ISSUER,
  subject,
  scopes: new Set(scopes),
});
const alice = person('alice');
const mallory = person('mallory');
const admin = person('admin', [ADMIN_SCOPE]);
const orderService: Principal = { kind: 'workload', serviceAccount: 'system:serviceaccount:x:y', allowed: true };
const context = { requestId: 'test' };
const card = (token = 'tok_visa') => ({ paymentMethod: { type: 'card' as const, token } });

let clock: TestClock;
let store: InMemoryOrderStore;
let users: InMemoryUserDirectory;
let gateway: InMemoryPaymentGateway;
let orders: Orders;
let reconciler: Reconciler;

const advance = (ms: number) => clock.advance(ms);

beforeEach(() => {
  clock = new TestClock();
  const { now } = clock;
  store = new InMemoryOrderStore();
  users = new InMemoryUserDirectory();
  gateway = new InMemoryPaymentGateway(now);
  const options = {
    paymentAttemptStaleMs: ATTEMPT_STALE_MS,
    reconcileAfterMs: RECONCILE_AFTER_MS,
    reconcileWatchMs: WATCH_MS,
    now,
  };
  orders = new Orders(store, users, gateway, options);
  reconciler = new Reconciler(store, gateway, new InMemoryCheckpoints(), options);
  users.add({ issuer: ISSUER, subject: 'alice' });
});

/** A PENDING order of Alice's for 2 x 1250. */
const newOrder = () =>
  orders.create({ currency: 'EUR', items: [{ sku: 'book', quantity: 2, unitPriceCents: 1250 }] }, alice, context);

const repairsOf = (repairs: Repair[]) => repairs.map((repair) => repair.repair);
const charges = () => gateway.calls.filter((call) => call === 'charge').length;

describe('create', () => {
  it('makes a PENDING order for the caller’s own profile, totalled by the server', async () => {
    const order = await newOrder();
    expect(order).toMatchObject({ status: 'PENDING', totalCents: 2500, owner: { issuer: ISSUER, subject: 'alice' } });
    expect(await orders.get(order.id, alice)).toEqual(order);
  });

  it('refuses another person’s user, a caller without a profile, and services', async () => {
    const bobs = users.add({ issuer: ISSUER, subject: 'bob' });
    const input = { userId: bobs, currency: 'EUR' as const, items: [{ sku: 'a', quantity: 1, unitPriceCents: 1 }] };
    expect(await problemOf(orders.create(input, alice, context))).toBe(problems.unprocessable);
    expect(await problemOf(orders.create({ ...input, userId: undefined }, mallory, context))).toBe(
      problems.unprocessable,
    );
    expect(await problemOf(orders.create(input, orderService, context))).toBe(problems.insufficientScope);
  });

  it('hides an order from anyone but its owner and administrators', async () => {
    const order = await newOrder();
    expect(await problemOf(orders.get(order.id, mallory))).toBe(problems.notFound);
    expect(await problemOf(orders.pay(order.id, card(), 'k', mallory, context))).toBe(problems.notFound);
    expect(await problemOf(orders.cancel(order.id, mallory, context))).toBe(problems.notFound);
    expect((await orders.get(order.id, admin)).id).toBe(order.id);
    expect(gateway.calls).toEqual([]);
  });
});

describe('pay', () => {
  it('charges a PENDING order once and takes it off the reconciler’s schedule', async () => {
    const order = await newOrder();
    const paid = await orders.pay(order.id, card(), 'key-1', alice, context);
    expect(paid).toMatchObject({ status: 'PAID', paymentId: gateway.payments(order.id)[0]?.id });
    expect(store.scheduledAt(order.id)).toBeNull();
    // The same request again answers the paid order; it never charges twice.
    expect(await orders.pay(order.id, card(), 'key-1', alice, context)).toEqual(paid);
    expect(charges()).toBe(1);
  });

  it('answers a paid order paid again with another key: already paid', async () => {
    const order = await newOrder();
    await orders.pay(order.id, card(), 'key-1', alice, context);
    expect(await problemOf(orders.pay(order.id, card(), 'key-2', alice, context))).toBe(problems.orderAlreadyPaid);
    expect(charges()).toBe(1);
  });

  it('leaves a declined order PENDING and free for another card; the key stays bound to its card', async () => {
    const order = await newOrder();
    expect(await problemOf(orders.pay(order.id, card(DECLINED_TOKEN), 'key-1', alice, context))).toBe(
      problems.paymentDeclined,
    );
    expect((await orders.get(order.id, alice)).status).toBe('PENDING');
    expect(await problemOf(orders.pay(order.id, card('tok_other'), 'key-1', alice, context))).toBe(
      problems.idempotencyKeyReused,
    );
    expect((await orders.pay(order.id, card(), 'key-2', alice, context)).status).toBe('PAID');
  });

  it('refuses a cancelled order', async () => {
    const order = await newOrder();
    await orders.cancel(order.id, alice, context);
    expect(await problemOf(orders.pay(order.id, card(), 'key-1', alice, context))).toBe(problems.orderNotPending);
    expect(charges()).toBe(0);
  });

  it('finishes a charge whose answer was lost when the same request is retried', async () => {
    const order = await newOrder();
    gateway.loseAnswerOf = 'charge';
    expect(await problemOf(orders.pay(order.id, card(), 'key-1', alice, context))).toBe(problems.dependencyUnavailable);
    const paid = await orders.pay(order.id, card(), 'key-1', alice, context);
    expect(paid.status).toBe('PAID');
    expect(gateway.payments(order.id)).toHaveLength(1);
  });

  it('holds the order for a live attempt, then lets another key take over and pay with the first charge', async () => {
    const order = await newOrder();
    gateway.loseAnswerOf = 'charge';
    await problemOf(orders.pay(order.id, card(), 'key-1', alice, context));
    expect(await problemOf(orders.pay(order.id, card(), 'key-2', alice, context))).toBe(problems.idempotencyInProgress);
    advance(ATTEMPT_STALE_MS + 1);
    const paid = await orders.pay(order.id, card(), 'key-2', alice, context);
    const [first] = gateway.payments(order.id);
    expect(paid).toMatchObject({ status: 'PAID', paymentId: first?.id });
    expect(gateway.payments(order.id)).toHaveLength(1); // the quiet attempt's charge, never a second
  });

  it('answers 503 and changes nothing while payment-service is unreachable', async () => {
    const order = await newOrder();
    gateway.unreachable = true;
    expect(await problemOf(orders.pay(order.id, card(), 'key-1', alice, context))).toBe(problems.dependencyUnavailable);
    gateway.unreachable = false;
    expect((await orders.pay(order.id, card(), 'key-1', alice, context)).status).toBe('PAID');
  });
});

describe('cancel and refund', () => {
  it('cancels a PENDING order without calling payment-service', async () => {
    const order = await newOrder();
    expect(await orders.cancel(order.id, alice, context)).toMatchObject({ status: 'CANCELLED', refundId: null });
    expect(gateway.calls).toEqual([]);
    expect(await problemOf(orders.cancel(order.id, alice, context))).toBe(problems.orderAlreadyCancelled);
  });

  it('refunds a PAID order once and keeps the refund', async () => {
    const order = await newOrder();
    const { paymentId } = await orders.pay(order.id, card(), 'key-1', alice, context);
    const cancelled = await orders.cancel(order.id, admin, context);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', paymentId, refundId: expect.any(String) });
    expect(gateway.payments(order.id)).toEqual([expect.objectContaining({ status: 'REFUNDED' })]);
    expect(await problemOf(orders.cancel(order.id, alice, context))).toBe(problems.orderAlreadyCancelled);
  });

  it('will not cancel under a live payment attempt, but overrules a quiet one and refunds what it charged', async () => {
    const order = await newOrder();
    gateway.loseAnswerOf = 'charge';
    await problemOf(orders.pay(order.id, card(), 'key-1', alice, context));
    expect(await problemOf(orders.cancel(order.id, alice, context))).toBe(problems.idempotencyInProgress);
    advance(ATTEMPT_STALE_MS + 1);
    const cancelled = await orders.cancel(order.id, alice, context);
    const [charge] = gateway.payments(order.id);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', paymentId: charge?.id, refundId: charge?.refundId });
    expect(charge?.status).toBe('REFUNDED');
  });

  it('leaves a cancel cut short before its refund to the reconciler, which finishes it', async () => {
    const order = await newOrder();
    await orders.pay(order.id, card(), 'key-1', alice, context);
    gateway.unreachable = true;
    expect(await problemOf(orders.cancel(order.id, alice, context))).toBe(problems.dependencyUnavailable);
    gateway.unreachable = false;
    expect((await orders.get(order.id, alice)).status).toBe('PAID');

    advance(RECONCILE_AFTER_MS);
    expect(repairsOf(await reconciler.reconcile())).toEqual(['finished-cancel']);
    expect(await orders.get(order.id, alice)).toMatchObject({ status: 'CANCELLED', refundId: expect.any(String) });
    expect(await reconciler.reconcile()).toEqual([]);
  });
});

describe('reconcile', () => {
  it('completes an order charged but left PENDING when its client never came back', async () => {
    const order = await newOrder();
    gateway.loseAnswerOf = 'charge';
    await problemOf(orders.pay(order.id, card(), 'key-1', alice, context));
    expect(await reconciler.reconcile()).toEqual([]); // not due yet: the attempt may still finish
    advance(RECONCILE_AFTER_MS);
    expect(repairsOf(await reconciler.reconcile())).toEqual(['completed-payment']);
    expect((await orders.get(order.id, alice)).status).toBe('PAID');
    // The client's retry now answers the paid order.
    expect((await orders.pay(order.id, card(), 'key-1', alice, context)).status).toBe('PAID');
    expect(charges()).toBe(1);
  });

  it('cancels a PAID order whose payment an administrator refunded at payment-service', async () => {
    const order = await newOrder();
    const { paymentId } = await orders.pay(order.id, card(), 'key-1', alice, context);
    advance(1_000);
    const refundId = gateway.refundBehind(paymentId as string);
    expect(repairsOf(await reconciler.reconcile())).toEqual(['cancelled-refunded-order']);
    expect(await orders.get(order.id, alice)).toMatchObject({ status: 'CANCELLED', refundId });
  });

  it('refunds a charge behind a cancelled order, and a second charge behind a paid one', async () => {
    const cancelled = await newOrder();
    await orders.cancel(cancelled.id, alice, context);
    const paid = await newOrder();
    await orders.pay(paid.id, card(), 'key-1', alice, context);
    advance(1_000);
    const late = gateway.chargeBehind(cancelled.id, cancelled.totalCents);
    const extra = gateway.chargeBehind(paid.id, paid.totalCents);

    expect(repairsOf(await reconciler.reconcile()).sort()).toEqual([
      'refunded-charge-behind-cancelled-order',
      'refunded-extra-charge',
    ]);
    expect(await orders.get(cancelled.id, alice)).toMatchObject({ status: 'CANCELLED', paymentId: late });
    expect(gateway.payments(paid.id).find((p) => p.id === extra)?.status).toBe('REFUNDED');
    expect((await orders.get(paid.id, alice)).status).toBe('PAID');
    expect(await reconciler.reconcile()).toEqual([]);
  });

  it('keeps an order it cannot settle now on the schedule, and settles it once payment-service is back', async () => {
    const order = await newOrder();
    gateway.loseAnswerOf = 'charge';
    await problemOf(orders.pay(order.id, card(), 'key-1', alice, context));
    advance(RECONCILE_AFTER_MS);
    gateway.unreachable = true;
    await expect(reconciler.reconcile()).rejects.toThrow(/could not be reconciled now/);
    expect(store.scheduledAt(order.id)).not.toBeNull();
    gateway.unreachable = false;
    advance(RECONCILE_AFTER_MS);
    expect(repairsOf(await reconciler.reconcile())).toEqual(['completed-payment']);
  });

  it('settles many orders in one run', async () => {
    const many = await Promise.all(Array.from({ length: 40 }, () => newOrder()));
    for (const order of many) {
      gateway.loseAnswerOf = 'charge';
      await problemOf(orders.pay(order.id, card(), `key-${order.id}`, alice, context));
    }
    advance(RECONCILE_AFTER_MS);
    expect(await reconciler.reconcile()).toHaveLength(40);
    for (const order of many) expect((await orders.get(order.id, alice)).status).toBe('PAID');
  });
});
