import { ADMIN_SCOPE, type Principal, serviceAccountName } from '@platform/auth';
import { problems } from '@platform/errors';
import { problemOf, TestClock } from '@platform/testing';
import { InMemoryCheckpoints, InMemoryIdempotencyKeys, InMemoryTransactions } from '@platform/persistence/testing';
import type { CreatePaymentInput } from '../src/payments/payment';
import { Payments } from '../src/payments/payments';
import { InMemoryPaymentStore, InMemoryProvider, TOKENS } from './in-memory';

/*
 * The rules of payments (charge, refund, idempotency, settling what a failure left, the provider's
 * ledger) on in-memory ports: no database, no process. The same rules on real engines and the
 * sandbox provider: payments.spec.ts and the resilience suites.
 */

const STALE_MS = 60_000;
const PROVIDER_TIMEOUT_MS = 50;

const orderService: Principal = {
  kind: 'workload',
  serviceAccount: serviceAccountName('order-service', 'order-service'),
  allowed: true,
};
const stranger: Principal = { kind: 'workload', serviceAccount: 'system:serviceaccount:x:x', allowed: false };
const admin: Principal = {
  kind: 'person',
  issuer: 'https://issuer.test',
  subject: 'admin',
  scopes: new Set([ADMIN_SCOPE]),
};
const person: Principal = { kind: 'person', issuer: 'https://issuer.test', subject: 'alice', scopes: new Set() };

let clock: TestClock;
let keys: InMemoryIdempotencyKeys;
let store: InMemoryPaymentStore;
let provider: InMemoryProvider;
let payments: Payments;

const advance = (ms: number) => clock.advance(ms);

beforeEach(() => {
  clock = new TestClock();
  const { now } = clock;
  keys = new InMemoryIdempotencyKeys({ staleAfterMs: STALE_MS, now });
  store = new InMemoryPaymentStore(keys);
  provider = new InMemoryProvider(now);
  payments = new Payments(new InMemoryTransactions(store, keys), store, keys, provider, new InMemoryCheckpoints(), {
    providerTimeoutMs: PROVIDER_TIMEOUT_MS,
    abandonedAfterMs: STALE_MS,
    now,
  });
});

const purchase = (overrides: Partial<CreatePaymentInput> = {}): CreatePaymentInput => ({
  amountCents: 2500,
  currency: 'EUR',
  reference: 'order-1',
  method: { type: 'card', token: TOKENS.visa },
  ...overrides,
});

describe('charge', () => {
  it('charges once per key and replays the first outcome', async () => {
    const first = await payments.charge(purchase(), 'key-1', orderService);
    expect(first).toMatchObject({ outcome: 'succeeded', replayed: false, payment: { status: 'SUCCEEDED' } });
    const again = await payments.charge(purchase(), 'key-1', orderService);
    expect(again).toEqual({ ...first, replayed: true });
    expect(provider.chargeCount).toBe(1);
    expect(await problemOf(payments.charge(purchase({ amountCents: 1 }), 'key-1', orderService))).toBe(
      problems.idempotencyKeyReused,
    );
  });

  it('records a declined card as a FAILED payment, and replays that too', async () => {
    const declined = await payments.charge(
      purchase({ method: { type: 'card', token: TOKENS.declined } }),
      'k',
      orderService,
    );
    expect(declined).toMatchObject({
      outcome: 'declined',
      payment: { status: 'FAILED', failureCode: 'card_declined' },
    });
    expect(
      (await payments.charge(purchase({ method: { type: 'card', token: TOKENS.declined } }), 'k', orderService))
        .replayed,
    ).toBe(true);
  });

  it('gives the key back when the provider refuses, so the retry charges', async () => {
    provider.refuseNext = true;
    expect(await problemOf(payments.charge(purchase(), 'key-1', orderService))).toBe(problems.badGateway);
    expect(await keys.inProgress('payments', 'key-1')).toBe(false);
    expect((await payments.charge(purchase(), 'key-1', orderService)).outcome).toBe('succeeded');
    expect(provider.chargeCount).toBe(1);
  });

  it('never gives the key back blind when the write after the charge fails; the retry records the one charge', async () => {
    store.failWrites = 1;
    expect(await problemOf(payments.charge(purchase(), 'key-1', orderService))).toBe(problems.paymentOutcomeUnknown);
    expect(await keys.inProgress('payments', 'key-1')).toBe(true);
    expect(store.all()).toEqual([]);
    // Another key for the same purchase waits: it might charge twice.
    expect(await problemOf(payments.charge(purchase(), 'key-2', orderService))).toBe(problems.paymentInProgress);
    const retried = await payments.charge(purchase(), 'key-1', orderService);
    expect(retried).toMatchObject({ outcome: 'succeeded', replayed: false });
    expect(provider.chargeCount).toBe(1);
    expect(store.all()).toHaveLength(1);
  });

  it('settles a charge whose write failed without any client, at once', async () => {
    store.failWrites = 1;
    await problemOf(payments.charge(purchase(), 'key-1', orderService));
    const settled = await payments.settleAbandoned();
    expect(settled).toEqual([expect.objectContaining({ kind: 'charge', key: 'key-1', outcome: 'recorded' })]);
    expect((await payments.charge(purchase(), 'key-1', orderService)).replayed).toBe(true);
    expect(provider.chargeCount).toBe(1);
  });

  it('waits out the stale time when the provider never answered, then records what it did', async () => {
    provider.hangAfterChargingNext = true;
    expect(await problemOf(payments.charge(purchase(), 'key-1', orderService))).toBe(problems.paymentOutcomeUnknown);
    expect(await problemOf(payments.charge(purchase(), 'key-1', orderService))).toBe(problems.idempotencyInProgress);
    expect(await payments.settleAbandoned()).toEqual([]);
    advance(STALE_MS + 1);
    expect(await payments.settleAbandoned()).toEqual([expect.objectContaining({ outcome: 'recorded' })]);
    expect(store.all()).toEqual([expect.objectContaining({ status: 'SUCCEEDED', reference: 'order-1' })]);
  });

  it('gives back a key the provider never charged under, once it is stale', async () => {
    provider.hangBeforeNext = true;
    await problemOf(payments.charge(purchase(), 'key-1', orderService));
    advance(STALE_MS + 1);
    expect(await payments.settleAbandoned()).toEqual([expect.objectContaining({ outcome: 'released' })]);
    expect(provider.chargeCount).toBe(0);
    expect((await payments.charge(purchase(), 'key-1', orderService)).outcome).toBe('succeeded');
  });

  it('lets only allowed services charge, and administrators read; nobody else', async () => {
    expect(await problemOf(payments.charge(purchase(), 'k', admin))).toBe(problems.insufficientScope);
    expect(await problemOf(payments.charge(purchase(), 'k', stranger))).toBe(problems.insufficientScope);
    expect(await problemOf(payments.charge(purchase(), 'k', person))).toBe(problems.insufficientScope);
    const { payment } = await payments.charge(purchase(), 'k', orderService);
    expect((await payments.get(payment.id, admin)).id).toBe(payment.id);
    expect(await problemOf(payments.get(payment.id, person))).toBe(problems.insufficientScope);
    expect(provider.chargeCount).toBe(1);
  });
});

describe('refund', () => {
  it('refunds a payment once; another key finds it not refundable', async () => {
    const { payment } = await payments.charge(purchase(), 'key-1', orderService);
    const first = await payments.refund(payment.id, 'refund-1', orderService);
    expect(first).toMatchObject({ replayed: false, refund: { paymentId: payment.id, amountCents: 2500 } });
    expect(await payments.refund(payment.id, 'refund-1', admin)).toEqual({ ...first, replayed: true });
    expect(await problemOf(payments.refund(payment.id, 'refund-2', orderService))).toBe(problems.paymentNotRefundable);
    expect((await payments.get(payment.id, admin)).refundId).toBe(first.refund.id);
    expect(provider.refundCount()).toBe(1);
  });

  it('refuses a declined payment and an unknown one, giving the key back', async () => {
    const declined = await payments.charge(
      purchase({ method: { type: 'card', token: TOKENS.declined } }),
      'k',
      orderService,
    );
    expect(await problemOf(payments.refund(declined.payment.id, 'r', orderService))).toBe(
      problems.paymentNotRefundable,
    );
    expect(await problemOf(payments.refund('00000000-0000-4000-8000-000000000000', 'r2', orderService))).toBe(
      problems.notFound,
    );
    expect(await keys.inProgress('refunds', 'r')).toBe(false);
  });

  it('records a refund whose write failed when the same request is retried, refunding once', async () => {
    const { payment } = await payments.charge(purchase(), 'key-1', orderService);
    store.failWrites = 1;
    expect(await problemOf(payments.refund(payment.id, 'refund-1', orderService))).toBe(problems.paymentOutcomeUnknown);
    expect((await payments.get(payment.id, admin)).status).toBe('SUCCEEDED');
    expect((await payments.refund(payment.id, 'refund-1', orderService)).replayed).toBe(false);
    expect((await payments.get(payment.id, admin)).status).toBe('REFUNDED');
    expect(provider.refundCount()).toBe(1);
  });
});

describe('the provider’s ledger', () => {
  it('records a charge nobody recorded, refunds one that says nothing of its purpose, and leaves young ones', async () => {
    provider.chargeBehind({ amountCents: 700, currency: 'EUR', reference: 'order-7', idempotencyKey: 'charge:lost' });
    provider.chargeBehind({ amountCents: 900, currency: 'EUR', reference: 'x', idempotencyKey: 'charge:anon' }, null);
    advance(STALE_MS + 1);
    provider.chargeBehind({ amountCents: 100, currency: 'EUR', reference: 'order-8', idempotencyKey: 'charge:young' });

    const repairs = await payments.reconcileLedger();
    expect(repairs.map(({ outcome, key }) => [outcome, key])).toEqual([
      ['refunded', 'anon'],
      ['recorded', 'lost'],
    ]);
    expect(store.all()).toEqual([expect.objectContaining({ reference: 'order-7', amountCents: 700 })]);
    expect(provider.refundCount()).toBe(1);
    // The next pass resumes after them: nothing is recorded or refunded twice.
    expect(await payments.reconcileLedger()).toEqual([]);
  });

  it('leaves a charge alone while its key is being settled', async () => {
    provider.hangAfterChargingNext = true;
    await problemOf(payments.charge(purchase(), 'key-1', orderService));
    advance(STALE_MS + 1);
    expect(await payments.reconcileLedger()).toEqual([]);
    expect(await payments.settleAbandoned()).toEqual([expect.objectContaining({ outcome: 'recorded' })]);
    expect(store.all()).toHaveLength(1);
  });
});
