import { randomUUID } from 'node:crypto';
import type { CheckpointStore } from '@platform/persistence';
import type { Repair } from '@platform/runtime';
import { refundKey, voidKey } from './orders';
import type { CallContext, OrderStore, PaymentGateway, PaymentRecord, StoredOrder } from './ports';

export interface ReconcilerOptions {
  /** How long a payment attempt holds an order (as for `Orders`). */
  readonly paymentAttemptStaleMs: number;
  /** When to look again at an order after an attempt began, and how often while watching it. */
  readonly reconcileAfterMs: number;
  /** How long to keep looking at an order whose attempt went quiet or was overruled. */
  readonly reconcileWatchMs: number;
  /** How long one run may go on settling due orders before it leaves the rest to the next run. */
  readonly runBudgetMs?: number;
  readonly now?: () => Date;
}

/** What a visit to one order concluded: what it repaired, and when (if ever) to look again. */
interface Visit {
  readonly repairs: Repair[];
  readonly next: Date | null;
}

/**
 * How many due orders are leased, and settled side by side, at a time: enough to keep pace with
 * load (each visit waits mostly on payment-service), few enough that a replica that dies holds
 * few for long.
 */
const LEASE_SIZE = 16;
const DEFAULT_RUN_BUDGET_MS = 10_000;
/** The pass over changed payments. */
const CHANGES_CHECKPOINT = 'payment-changes';
const CHANGES_PAGE = 100;
/**
 * How far back each pass reads again before where the last one stopped: a payment's change is
 * stamped before its transaction commits, so one may appear after a later one was read.
 */
const CHANGES_OVERLAP_MS = 30_000;

/**
 * Heals orders left half-finished, without any client. Its work is what needs repair: an attempt
 * or a cancel that did not finish leaves its order scheduled (a finished one takes it off), and
 * each run reads the payments changed at payment-service since the last (a refund made by an
 * administrator, a charge recorded by payment-service's own repairs) and schedules the orders they
 * disagree with. Each visit settles an order against its payments: a PENDING order with a
 * SUCCEEDED charge becomes PAID; a PAID order whose payment was refunded, or whose accepted cancel
 * was cut short, becomes CANCELLED with its refund; a charge that is not the order's payment
 * (behind a cancelled order, or a second charge) is refunded. Due orders are leased with
 * `FOR UPDATE SKIP LOCKED` and settled side by side, so replicas share the work and never do it
 * twice; every step is conditional and every payment call idempotent, so a run is safe at any
 * moment beside live requests.
 */
export class Reconciler {
  readonly #now: () => Date;

  constructor(
    private readonly repository: OrderStore,
    private readonly payments: PaymentGateway,
    private readonly checkpoints: CheckpointStore,
    private readonly options: ReconcilerOptions,
  ) {
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * One run: schedules the orders behind changed payments, then settles due orders until none is
   * left (or the run's budget is spent). Each repair is reported as it is made (and returned); an
   * order that cannot be settled now (say, payment-service is down) is tried again shortly, and
   * the run then fails after the others.
   */
  async reconcile(report: (repair: Repair) => void = () => undefined): Promise<Repair[]> {
    const context = { requestId: `reconcile-${randomUUID()}` };
    const repairs: Repair[] = [];
    const failures: unknown[] = [];
    await this.#scheduleChanged(context).catch((error: unknown) => failures.push(error));
    const deadline = performance.now() + (this.options.runBudgetMs ?? DEFAULT_RUN_BUDGET_MS);
    while (performance.now() < deadline) {
      // A lease lasts one recheck delay: if this replica dies, another takes its orders after that.
      const now = this.#now();
      const leaseUntil = this.#later(now).toISOString();
      const due = await this.repository.leaseDue(now.toISOString(), leaseUntil, LEASE_SIZE);
      if (due.length === 0) break;
      await Promise.all(
        due.map(async (id) => {
          let next: Date | null;
          try {
            const stored = await this.repository.find(id);
            if (stored === undefined) return;
            const visit = await this.#visit(stored, context);
            for (const repair of visit.repairs) report(repair);
            repairs.push(...visit.repairs);
            next = visit.next ?? this.#watching(stored);
          } catch (error) {
            failures.push(error);
            next = this.#later(this.#now());
          }
          await this.repository.endLease(id, leaseUntil, next?.toISOString() ?? null);
        }),
      );
    }
    if (failures.length > 0) {
      throw new Error(`${failures.length} orders could not be reconciled now; they are tried again shortly`, {
        cause: failures[0],
      });
    }
    return repairs;
  }

  /** Reads the payments changed since the last pass and schedules the orders they disagree with. */
  async #scheduleChanged(context: CallContext): Promise<void> {
    const now = this.#now();
    const checkpoint = await this.checkpoints.get(CHANGES_CHECKPOINT);
    const since = new Date(
      (checkpoint === undefined ? now.getTime() - this.options.reconcileWatchMs : Date.parse(checkpoint.at)) -
        CHANGES_OVERLAP_MS,
    ).toISOString();
    let newest = checkpoint?.at ?? since;
    let cursor: string | null = null;
    do {
      const page = await this.payments.paymentsChangedAfter(since, CHANGES_PAGE, cursor, context);
      await this.repository.scheduleChanged(page.items, this.#now().toISOString());
      for (const change of page.items) if (change.updatedAt > newest) newest = change.updatedAt;
      cursor = page.nextCursor;
    } while (cursor !== null);
    await this.checkpoints.advance(CHANGES_CHECKPOINT, { at: newest, afterKey: '' });
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
    // Paid under the key of the attempt that went quiet, so that its client's retry answers the PAID order.
    const key = stored.paymentKey ?? `order:${id}:reconcile`;
    const claimed = await this.repository.claimForPayment(id, key, now.toISOString(), staleBefore, {
      reconcileAt: this.#later(now).toISOString(),
      watchUntil: new Date(now.getTime() + this.options.reconcileWatchMs).toISOString(),
    });
    const paid =
      claimed !== undefined &&
      (await this.repository.markPaid(id, key, charge.id, now.toISOString(), { finished: false }));
    if (!paid) {
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
