import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase, testEngines } from '@platform/persistence/testing';
import { loadMigrations, migrate } from '@platform/persistence';
import type { Order } from '../src/orders/order';
import { OrderRepository } from '../src/orders/order-repository';
import type { OrderStore } from '../src/orders/ports';
import { InMemoryOrderStore } from './in-memory';

/*
 * One contract, every `OrderStore`: the SQL on each engine and the in-memory store the rule tests
 * use, so those tests rest on the same conditional rules as production.
 */

/** A moment of the tests, in seconds; the lease test lives years earlier, so others' scheduled orders are not yet due in it. */
let year = 2026;
const T = (second: number) => new Date(Date.UTC(year, 5, 1, 12, 0, second)).toISOString();
const schedule = (second: number) => ({ reconcileAt: T(second), watchUntil: T(second + 30) });

const newOrder = (): Order => ({
  id: randomUUID(),
  userId: randomUUID(),
  owner: { issuer: 'https://issuer.test', subject: 'alice' },
  currency: 'EUR',
  items: [{ sku: 'book', quantity: 1, unitPriceCents: 100 }],
  totalCents: 100,
  status: 'PENDING',
  paymentId: null,
  refundId: null,
  createdAt: T(0),
  updatedAt: T(0),
});

const stores: [string, () => Promise<{ store: OrderStore; close(): Promise<void> }>][] = [
  ['in memory', async () => ({ store: new InMemoryOrderStore(), close: async () => undefined })],
  ...testEngines().map((engine): [string, () => Promise<{ store: OrderStore; close(): Promise<void> }>] => [
    engine,
    async () => {
      const db: TestDatabase = await createTestDatabase(engine);
      await migrate(db, loadMigrations(join(__dirname, '../src/migrations')));
      return { store: new OrderRepository(db), close: () => db.close() };
    },
  ]),
];

/** Payment and refund ids, uuids as payment-service makes them. */
const [P, Q, R, S] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];

describe.each(stores)('OrderStore %s', (_name, open) => {
  let store: OrderStore;
  let close: () => Promise<void>;
  beforeAll(async () => ({ store, close } = await open()));
  afterAll(() => close());
  afterEach(() => {
    year = 2026;
  });

  it('claims a free order, again for the same key, and for another key only once the claim is stale', async () => {
    const order = newOrder();
    await store.insert(order);
    expect(await store.claimForPayment(order.id, 'a', T(1), T(0), schedule(10))).toEqual({ previousKey: null });
    expect(await store.claimForPayment(order.id, 'a', T(2), T(0), schedule(10))).toEqual({ previousKey: 'a' });
    expect(await store.claimForPayment(order.id, 'b', T(3), T(1), schedule(10))).toBeUndefined();
    expect(await store.claimForPayment(order.id, 'b', T(4), T(3), schedule(10))).toEqual({ previousKey: 'a' });
    expect(await store.find(order.id)).toMatchObject({ paymentKey: 'b', paymentKeyAt: T(4), watchUntil: T(40) });
  });

  it('pays only for the holding key, releases only its own claim, cancels only from the expected state', async () => {
    const order = newOrder();
    await store.insert(order);
    await store.claimForPayment(order.id, 'a', T(1), T(0), schedule(10));
    await store.releasePayment(order.id, 'b', T(2));
    expect(await store.markPaid(order.id, 'b', P, T(2))).toBe(false);
    expect(await store.cancel(order.id, 'PENDING', null, T(2), T(0))).toBe(false); // a live claim
    expect(await store.cancel(order.id, 'PENDING', null, T(2), T(0), 'b')).toBe(false); // another holder's claim
    expect(await store.markPaid(order.id, 'a', P, T(3))).toBe(true);
    expect(await store.cancel(order.id, 'PENDING', null, T(4), T(4))).toBe(false);
    expect(await store.cancel(order.id, 'PAID', R, T(5), T(0))).toBe(true);
    expect((await store.find(order.id))?.order).toMatchObject({ status: 'CANCELLED', paymentId: P, refundId: R });
  });

  it('leases due orders once, ends a lease unless rescheduled, and schedules orders a payment disagrees with', async () => {
    year = 2020;
    const [first, second] = [newOrder(), newOrder()];
    await store.insert(first);
    await store.insert(second);
    await store.claimForPayment(first.id, 'a', T(1), T(0), schedule(5));
    await store.claimForPayment(second.id, 'a', T(1), T(0), schedule(20));
    expect(await store.leaseDue(T(10), T(50), 16)).toEqual([first.id]);
    expect(await store.leaseDue(T(10), T(50), 16)).toEqual([]);
    await store.endLease(first.id, T(49), null); // not its lease: stands
    expect(await store.leaseDue(T(50), T(60), 16)).toEqual([second.id, first.id]); // the earliest due first
    await store.endLease(first.id, T(60), null);
    await store.endLease(second.id, T(60), null);
    expect(await store.leaseDue(T(100), T(110), 16)).toEqual([]);

    const change = { id: randomUUID(), status: 'SUCCEEDED' as const, refundId: null, updatedAt: T(30) };
    expect(
      await store.scheduleChanged(
        [
          { ...change, reference: first.id },
          { ...change, reference: 'x' },
        ],
        T(30),
      ),
    ).toBe(1);
    expect(await store.leaseDue(T(30), T(40), 16)).toEqual([first.id]);
  });

  it('watches until the later time and records a refunded charge only behind an unpaid cancelled order', async () => {
    const order = newOrder();
    await store.insert(order);
    await store.watch(order.id, T(20));
    await store.watch(order.id, T(10));
    expect((await store.find(order.id))?.watchUntil).toBe(T(20));
    await store.recordRefundedCharge(order.id, P, R, T(1));
    expect((await store.find(order.id))?.order.paymentId).toBeNull();
    await store.cancel(order.id, 'PENDING', null, T(2), T(0));
    await store.recordRefundedCharge(order.id, P, R, T(3));
    await store.recordRefundedCharge(order.id, Q, S, T(4));
    expect((await store.find(order.id))?.order).toMatchObject({ paymentId: P, refundId: R });
  });
});
