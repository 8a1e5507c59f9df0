import { randomUUID } from 'node:crypto';
import type { Repair } from '@platform/runtime';
import type { OrderRepository, StoredOrder } from './order-repository';
import { refundKey, voidKey } from './orders';
import type { CallContext, PaymentGateway, PaymentRecord } from './ports';

export interface ReconcilerOptions {
  /** How long a payment attempt holds an order (as for `Orders`). */
  readonly paymentAttemptStaleMs: number;
  /** When to look again at an order after an attempt began, and how often while watching it. */
  readonly reconcileAfterMs: number;
  /** How long to keep looking at an order whose attempt went quiet or was overruled. */
  readonly reconcileWatchMs: number;
  /** How many due orders one run settles at most. */
  readonly batchSize?: number;
  readonly now?: () => Date;
}

/** What a visit to one order concluded: what it repaired, and when (if ever) to look again. */
interface Visit {
  readonly repairs: Repair[];
  readonly next: Date | null;
}

/** How many due orders are leased at a time: few, so that a replica that dies holds few for long. */
const LEASE_SIZE = 10;

/**
 * Heals orders that a crash left half-finished, without any client: every payment attempt and
 * every cancel of a paid order schedules a later look at the order, and each look settles the
 * order against its payments at payment-service. A PENDING order with a SUCCEEDED charge becomes
 * PAID; a PAID order whose payment was refunded, or whose accepted cancel was cut short, becomes
 * CANCELLED with its refund; a charge that is not the order's payment (behind a cancelled order,
 * or a second charge from an overruled attempt) is refunded. Orders are leased with `FOR UPDATE
 * SKIP LOCKED`, so replicas share the work and never do it twice; every step is conditional and
 * every payment call idempotent, so a run is safe at any moment beside live requests.
 */
export class Reconciler {
  readonly #now: () => Date;

  constructor(
    private readonly repository: OrderRepository,
    private readonly payments: PaymentGateway,
    private readonly options: ReconcilerOptions,
  ) {
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * One run: every due order (up to the batch size), each settled against its payments. Each
   * repair is reported as it is made (and returned); an order that cannot be settled now (say,
   * payment-service is down) is tried again shortly, and the run then fails after the others.
   */
  async reconcile(report: (repair: Repair) => void = () => undefined): Promise<Repair[]> {
    const context = { requestId: `reconcile-${randomUUID()}` };
    const repairs: Repair[] = [];
    const failures: unknown[] = [];
    let settled = 0;
    while (settled < (this.options.batchSize ?? 100)) {
      // A lease lasts one recheck delay: if this replica dies, another takes its orders after that.
      const now = this.#now();
      const leaseUntil = this.#later(now).toISOString();
      const due = await this.repository.leaseDue(now.toISOString(), leaseUntil, LEASE_SIZE);
      if (due.length === 0) break;
      settled += due.length;
      for (const id of due) {
        let next: Date | null;
        try {
          const stored = await this.repository.find(id);
          if (stored === undefined) continue;
          const visit = await this.#visit(stored, context);
          for (const repair of visit.repairs) report(repair);
          repairs.push(...visit.repairs);
          next = visit.next ?? this.#watching(stored);
        } catch (error) {
          failures.push(error);
          next = this.#later(this.#now());
        }
        await this.repository.endLease(id, leaseUntil, next?.toISOString() ?? null);
      }
    }
    if (failures.length > 0) {
      throw new Error(`${failures.length} orders could not be reconciled now; they are tried again shortly`, {
        cause: failures[0],
      });
    }
    return repairs;
  }

  async #visit(stored: StoredOrder, context: CallContext): Promise<Visit> {
    const payments = await this.payments.paymentsFor(stored.order.id, context);
    switch (stored.order.status) {
      case 'PENDING':
        return this.#pending(stored, payments);
      case 'PAID':
        return this.#paid(stored, payments, context);
      case 'CANCELLED':
        return this.#cancelled(stored, payments, context);
    }
  }

  async #pending(stored: StoredOrder, payments: readonly PaymentRecord[]): Promise<Visit> {
    const { id } = stored.order;
    const now = this.#now();
    const staleAt =
      stored.paymentKeyAt === null
        ? now
        : new Date(Date.parse(stored.paymentKeyAt) + this.options.paymentAttemptStaleMs);
    // An attempt still holds the order: it finishes itself, or goes stale and is looked at then.
    if (stored.paymentKey !== null && staleAt > now) return { repairs: [], next: staleAt };

    const staleBefore = new Date(now.getTime() - this.options.paymentAttemptStaleMs).toISOString();
    const charge = payments.find((p) => p.status === 'SUCCEEDED');
    if (charge === undefined) {
      if (stored.paymentKeyAt === null) return { repairs: [], next: null };
      // The attempt went quiet without a charge so far. Its stale claim stands in nobody's way; keep
      // looking for a while after it, since payment-service may still settle a charge it left there.
      const watchUntil = new Date(Date.parse(stored.paymentKeyAt) + this.options.reconcileWatchMs);
      await this.repository.watch(id, watchUntil.toISOString());
      return { repairs: [], next: watchUntil > now ? this.#later(now) : null };
    }
    const key = `order:${id}:reconcile`;
    const claimed = await this.repository.claimForPayment(id, key, now.toISOString(), staleBefore, {
      reconcileAt: this.#later(now).toISOString(),
      watchUntil: new Date(now.getTime() + this.options.reconcileWatchMs).toISOString(),
    });
    if (claimed === undefined || !(await this.repository.markPaid(id, key, charge.id, now.toISOString()))) {
      return { repairs: [], next: new Date(now.getTime() + 1_000) }; // a live request got there first
    }
    // Paid now; the next run settles what else stands behind it (another charge, an accepted cancel).
    return {
      repairs: [repair('completed-payment', id, 'an order charged but left PENDING by a crash is now PAID', charge.id)],
      next: now,
    };
  }

  async #paid(stored: StoredOrder, payments: readonly PaymentRecord[], context: CallContext): Promise<Visit> {
    const { id, paymentId } = stored.order;
    const repairs = await this.#refundAllBut(id, paymentId, payments, context);
    const payment = payments.find((p) => p.id === paymentId);
    let refundId: string | null = null;
    if (payment?.status === 'REFUNDED' && payment.refundId !== null) {
      refundId = payment.refundId;
      repairs.push(
        repair('cancelled-refunded-order', id, 'a PAID order whose payment was refunded is now CANCELLED', paymentId),
      );
    } else if (stored.cancelRequested && payment?.status === 'SUCCEEDED') {
      ({ refundId } = await this.payments.refund(payment.id, refundKey(id), context));
      repairs.push(
        repair('finished-cancel', id, 'a cancel cut short before its refund is finished: order CANCELLED', paymentId),
      );
    }
    if (refundId !== null) {
      const now = this.#now();
      await this.repository.cancel(id, 'PAID', refundId, now.toISOString(), now.toISOString());
    }
    return { repairs, next: null };
  }

  async #cancelled(stored: StoredOrder, payments: readonly PaymentRecord[], context: CallContext): Promise<Visit> {
    const { id, paymentId } = stored.order;
    const repairs: Repair[] = [];
    for (const charge of payments.filter((p) => p.status === 'SUCCEEDED')) {
      // The order's own payment uses the order's refund key, as the cancel that was cut short did.
      const key = charge.id === paymentId ? refundKey(id) : voidKey(id, charge.id);
      const { refundId } = await this.payments.refund(charge.id, key, context);
      if (paymentId === null)
        await this.repository.recordRefundedCharge(id, charge.id, refundId, this.#now().toISOString());
      repairs.push(
        repair(
          'refunded-charge-behind-cancelled-order',
          id,
          'a charge behind a CANCELLED order is refunded',
          charge.id,
        ),
      );
    }
    return { repairs, next: null };
  }

  /** Refunds every SUCCEEDED charge of the order except its own payment. */
  async #refundAllBut(
    id: string,
    keep: string | null,
    payments: readonly PaymentRecord[],
    context: CallContext,
  ): Promise<Repair[]> {
    const repairs: Repair[] = [];
    for (const charge of payments.filter((p) => p.status === 'SUCCEEDED' && p.id !== keep)) {
      await this.payments.refund(charge.id, voidKey(id, charge.id), context);
      repairs.push(repair('refunded-extra-charge', id, 'a second charge for a paid order is refunded', charge.id));
    }
    return repairs;
  }

  #later(now: Date): Date {
    return new Date(now.getTime() + this.options.reconcileAfterMs);
  }

  /** The next look at an order being watched, or null when its watch is over. */
  #watching(stored: StoredOrder): Date | null {
    const now = this.#now();
    return stored.watchUntil !== null && Date.parse(stored.watchUntil) > now.getTime() ? this.#later(now) : null;
  }
}

const repair = (kind: string, orderId: string, message: string, paymentId: string | null = null): Repair => ({
  repair: kind,
  message,
  order_id: orderId,
  payment_id: paymentId,
});
