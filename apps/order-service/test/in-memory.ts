import { randomUUID } from 'node:crypto';
import type { Owner } from '@platform/auth';
import { problems, ProblemError } from '@platform/errors';
import { decodeCursor, encodeCursor } from '@platform/persistence';
import { dependencyUnavailable } from '../src/clients/unavailable';
import type { Order, OrderStatus } from '../src/orders/order';
import type {
  ChargeOutcome,
  ChargeRequest,
  OrderStore,
  PaymentChange,
  PaymentGateway,
  PaymentRecord,
  StoredOrder,
  UserDirectory,
} from '../src/orders/ports';

/*
 * The orders domain's ports in memory, for tests of its rules that start nothing: the same
 * conditional rules as `OrderRepository`'s SQL (each change only from the state it expects), and a
 * payment-service whose answers and failures a test decides. The real ones are tested on real
 * engines and real servers in orders.spec.ts.
 */

interface OrderRecord {
  seq: number;
  order: Order;
  paymentKey: string | null;
  paymentKeyAt: string | null;
  cancelRequestedAt: string | null;
  watchUntil: string | null;
  reconcileAfter: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** SQL's `a > b` with NULL: false. */
const after = (a: string | null, b: string) => a !== null && a > b;

/** `OrderStore` in memory. */
export class InMemoryOrderStore implements OrderStore {
  readonly #records = new Map<string, OrderRecord>();
  #seq = 0;

  /** When the reconciler next looks at the order (null: not scheduled), for assertions. */
  scheduledAt(id: string): string | null {
    return this.#get(id).reconcileAfter;
  }

  async insert(order: Order): Promise<void> {
    if (this.#records.has(order.id)) throw new Error(`duplicate order ${order.id}`);
    this.#records.set(order.id, {
      seq: ++this.#seq,
      order: structuredClone(order),
      paymentKey: null,
      paymentKeyAt: null,
      cancelRequestedAt: null,
      watchUntil: null,
      reconcileAfter: null,
    });
  }

  async find(id: string): Promise<StoredOrder | undefined> {
    const record = this.#records.get(id);
    return record === undefined ? undefined : stored(record);
  }

  async list(filter: { owner?: Owner; userId?: string; status?: OrderStatus }, limit: number, cursor?: string) {
    const from = cursor === undefined ? 0 : decodeCursor(cursor);
    const rows = [...this.#records.values()].filter(
      ({ seq, order }) =>
        seq > from &&
        (filter.userId === undefined || order.userId === filter.userId) &&
        (filter.status === undefined || order.status === filter.status) &&
        (filter.owner === undefined ||
          (order.owner?.issuer === filter.owner.issuer && order.owner.subject === filter.owner.subject)),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((record) => structuredClone(record.order)),
      nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.seq) : null,
    };
  }

  async claimForPayment(
    id: string,
    key: string,
    now: string,
    staleBefore: string,
    schedule: { reconcileAt: string; watchUntil: string },
  ): Promise<{ previousKey: string | null } | undefined> {
    const record = this.#records.get(id);
    if (record === undefined || record.order.status !== 'PENDING') return undefined;
    const previousKey = record.paymentKey;
    if (!(previousKey === null || previousKey === key || (record.paymentKeyAt as string) < staleBefore))
      return undefined;
    record.paymentKey = key;
    record.paymentKeyAt = now;
    record.reconcileAfter = schedule.reconcileAt;
    if (previousKey !== null && previousKey !== key) record.watchUntil = schedule.watchUntil;
    return { previousKey };
  }

  async releasePayment(id: string, key: string, now: string): Promise<void> {
    const record = this.#records.get(id);
    if (record?.order.status !== 'PENDING' || record.paymentKey !== key) return;
    record.paymentKey = null;
    record.paymentKeyAt = null;
    unscheduleUnlessWatched(record, now);
  }

  async markPaid(id: string, key: string, paymentId: string, now: string, { finished = true } = {}): Promise<boolean> {
    const record = this.#records.get(id);
    if (record?.order.status !== 'PENDING' || record.paymentKey !== key) return false;
    record.order = { ...record.order, status: 'PAID', paymentId, updatedAt: now };
    if (finished) unscheduleUnlessWatched(record, now);
    return true;
  }

  async cancel(
    id: string,
    from: OrderStatus,
    refundId: string | null,
    now: string,
    staleBefore: string,
    holder: string | null = null,
  ): Promise<boolean> {
    const record = this.#records.get(id);
    if (record === undefined || record.order.status !== from) return false;
    const free =
      from === 'PAID' ||
      record.paymentKey === null ||
      (holder !== null && record.paymentKey === holder) ||
      (record.paymentKeyAt as string) < staleBefore;
    if (!free) return false;
    record.order = { ...record.order, status: 'CANCELLED', refundId, updatedAt: now };
    unscheduleUnlessWatched(record, now);
    return true;
  }

  async requestCancel(id: string, now: string, reconcileAt: string): Promise<void> {
    const record = this.#records.get(id);
    if (record?.order.status !== 'PAID') return;
    record.cancelRequestedAt ??= now;
    record.reconcileAfter = reconcileAt;
  }

  async watch(id: string, until: string): Promise<void> {
    const record = this.#records.get(id);
    if (record !== undefined && !after(record.watchUntil, until)) record.watchUntil = until;
  }

  async recordRefundedCharge(id: string, paymentId: string, refundId: string, now: string): Promise<void> {
    const record = this.#records.get(id);
    if (record?.order.status !== 'CANCELLED' || record.order.paymentId !== null) return;
    record.order = { ...record.order, paymentId, refundId, updatedAt: now };
  }

  async scheduleChanged(changes: readonly PaymentChange[], now: string): Promise<number> {
    const scheduled = new Set<string>();
    for (const change of changes) {
      const record = UUID.test(change.reference) ? this.#records.get(change.reference.toLowerCase()) : undefined;
      if (record === undefined || !(record.reconcileAfter === null || record.reconcileAfter > now)) continue;
      const { order } = record;
      const disagrees =
        (change.status === 'SUCCEEDED' && order.paymentId !== change.id) ||
        (change.status === 'REFUNDED' && order.status === 'PAID' && order.paymentId === change.id);
      if (!disagrees) continue;
      record.reconcileAfter = now;
      scheduled.add(order.id);
    }
    return scheduled.size;
  }

  async leaseDue(now: string, leaseUntil: string, limit: number): Promise<string[]> {
    const due = [...this.#records.values()]
      .filter((record) => record.reconcileAfter !== null && record.reconcileAfter <= now)
      .sort((a, b) => (a.reconcileAfter as string).localeCompare(b.reconcileAfter as string))
      .slice(0, limit);
    for (const record of due) record.reconcileAfter = leaseUntil;
    return due.map((record) => record.order.id);
  }

  async endLease(id: string, leaseUntil: string, next: string | null): Promise<void> {
    const record = this.#records.get(id);
    if (record?.reconcileAfter === leaseUntil) record.reconcileAfter = next;
  }

  #get(id: string): OrderRecord {
    const record = this.#records.get(id);
    if (record === undefined) throw new Error(`no order ${id}`);
    return record;
  }
}

function unscheduleUnlessWatched(record: OrderRecord, now: string): void {
  if (!after(record.watchUntil, now)) record.reconcileAfter = null;
}

const stored = (record: OrderRecord): StoredOrder => ({
  order: structuredClone(record.order),
  paymentKey: record.paymentKey,
  paymentKeyAt: record.paymentKeyAt,
  cancelRequested: record.cancelRequestedAt !== null,
  watchUntil: record.watchUntil,
});

/** user-service's directory in memory: users and whose they are. */
export class InMemoryUserDirectory implements UserDirectory {
  readonly #owners = new Map<string, Owner | null>();

  /** Adds a user owned by `owner` (null: nobody's); returns its id. */
  add(owner: Owner | null): string {
    const id = randomUUID();
    this.#owners.set(id, owner);
    return id;
  }

  async ownerOf(userId: string): Promise<Owner | null | undefined> {
    return this.#owners.get(userId);
  }

  async profileOf(owner: Owner): Promise<string | undefined> {
    for (const [id, candidate] of this.#owners)
      if (candidate?.issuer === owner.issuer && candidate.subject === owner.subject) return id;
    return undefined;
  }
}

/** Card tokens the in-memory payment-service declines, as the sandbox does. */
export const DECLINED_TOKEN = 'tok_chargeDeclined';

interface Charge extends PaymentChange {
  readonly key: string;
  readonly token: string;
  readonly amountCents: number;
}

/**
 * payment-service in memory: one charge per idempotency key (a key reused with another card is
 * refused), one refund per refund key, payments listed by reference and by change. A test can make
 * it unreachable, or make a call do its work and then lose the answer (a crash, a cut connection).
 */
export class InMemoryPaymentGateway implements PaymentGateway {
  readonly #charges: Charge[] = [];
  readonly #refunds = new Map<string, { paymentId: string; refundId: string }>();
  /** Every call made, in order ('charge', 'refund', ...), for assertions. */
  readonly calls: string[] = [];
  /** While set, every call fails as an unreachable payment-service does (503). */
  unreachable = false;
  /** The next call of this kind does its work, then fails as if its answer were lost. */
  loseAnswerOf: 'charge' | 'refund' | undefined;

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** The payments with this reference, as payment-service keeps them. */
  payments(reference: string): readonly PaymentChange[] {
    return this.#charges.filter((charge) => charge.reference === reference);
  }

  /** A charge made behind the order's back (another replica's, a repair's): its payment id. */
  chargeBehind(reference: string, amountCents: number): string {
    return this.#charge({ reference, amountCents, key: `behind:${randomUUID()}`, token: 'tok_visa' }).id;
  }

  /** An administrator's refund of a payment, straight at payment-service. */
  refundBehind(paymentId: string): string {
    return this.#refund(paymentId, `admin:${randomUUID()}`);
  }

  async charge(request: ChargeRequest): Promise<ChargeOutcome> {
    this.#enter('charge');
    const previous = this.#charges.find((charge) => charge.key === request.idempotencyKey);
    if (previous !== undefined && previous.token !== request.token) return { outcome: 'key-reused' };
    const charge = previous ?? this.#charge({ ...request, key: request.idempotencyKey });
    this.#answer('charge');
    return charge.status === 'FAILED'
      ? { outcome: 'declined', paymentId: charge.id, failureCode: 'card_declined' }
      : { outcome: 'paid', paymentId: charge.id };
  }

  async refund(paymentId: string, idempotencyKey: string): Promise<{ refundId: string }> {
    this.#enter('refund');
    const refundId = this.#refund(paymentId, idempotencyKey);
    this.#answer('refund');
    return { refundId };
  }

  async paymentsFor(reference: string): Promise<readonly PaymentRecord[]> {
    this.#enter('paymentsFor');
    return this.payments(reference).map(({ id, status, refundId }) => ({ id, status, refundId }));
  }

  async paymentsChangedAfter(after: string, limit: number, cursor: string | null) {
    this.#enter('paymentsChangedAfter');
    const from = cursor === null ? 0 : Number(cursor);
    const changed = this.#charges.filter((charge) => charge.updatedAt > after).slice(from);
    return {
      items: changed.slice(0, limit).map(({ id, status, refundId, reference, updatedAt }) => ({
        id,
        status,
        refundId,
        reference,
        updatedAt,
      })),
      nextCursor: changed.length > limit ? String(from + limit) : null,
    };
  }

  #charge(request: { reference: string; amountCents: number; key: string; token: string }): Charge {
    const charge: Charge = {
      id: randomUUID(),
      key: request.key,
      token: request.token,
      amountCents: request.amountCents,
      reference: request.reference,
      status: request.token === DECLINED_TOKEN ? 'FAILED' : 'SUCCEEDED',
      refundId: null,
      updatedAt: this.now().toISOString(),
    };
    this.#charges.push(charge);
    return charge;
  }

  /** Refunds once per key; a payment refunded already (under another key) is not refundable. */
  #refund(paymentId: string, key: string): string {
    const done = this.#refunds.get(key);
    if (done !== undefined && done.paymentId === paymentId) return done.refundId;
    const index = this.#charges.findIndex((charge) => charge.id === paymentId);
    const charge = this.#charges[index];
    if (charge?.status !== 'SUCCEEDED') {
      throw new ProblemError(problems.paymentNotRefundable, `Payment ${paymentId} cannot be refunded any more.`);
    }
    const refundId = randomUUID();
    this.#charges[index] = { ...charge, status: 'REFUNDED', refundId, updatedAt: this.now().toISOString() };
    this.#refunds.set(key, { paymentId, refundId });
    return refundId;
  }

  #enter(call: string): void {
    this.calls.push(call);
    if (this.unreachable) throw dependencyUnavailable('payment-service');
  }

  #answer(call: 'charge' | 'refund'): void {
    if (this.loseAnswerOf !== call) return;
    this.loseAnswerOf = undefined;
    throw dependencyUnavailable('payment-service', new Error(`the ${call}'s answer was lost`));
  }
}
