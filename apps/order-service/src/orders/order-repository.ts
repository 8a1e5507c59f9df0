import type { Owner } from '@platform/auth';
import type { Currency } from '@platform/money';
import { decodeCursor, nextCursor, type Queryable } from '@platform/persistence';
import type { Order, OrderItem, OrderStatus } from './order';
import type { OrderStore, PaymentChange, StoredOrder } from './ports';

/** An order's attempt or cancel finished: off the reconciler's schedule, unless it is watched (`$3`: now). */
const UNSCHEDULE_UNLESS_WATCHED = 'reconcile_after = CASE WHEN watch_until > $3 THEN reconcile_after END';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface OrderRow {
  id: string;
  seq: number;
  user_id: string;
  currency: string;
  total_cents: number;
  status: OrderStatus;
  payment_id: string | null;
  refund_id: string | null;
  payment_key: string | null;
  payment_key_at: Date | null;
  cancel_requested_at: Date | null;
  watch_until: Date | null;
  owner_issuer: string | null;
  owner_subject: string | null;
  created_at: Date;
  updated_at: Date;
}

interface ItemRow {
  order_id: string;
  sku: string;
  quantity: number;
  unit_price_cents: number;
}

const COLUMNS = `id, seq, user_id, currency, total_cents, status, payment_id, refund_id, payment_key, payment_key_at,
  cancel_requested_at, watch_until, owner_issuer, owner_subject, created_at, updated_at`;

/** The SQL of orders and their items; both engines run it unchanged. */
export class OrderRepository implements OrderStore {
  constructor(private readonly db: Queryable & { transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> }) {}

  /** The order and its items, in one transaction: never one without the other. */
  async insert(order: Order): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO orders (id, user_id, currency, total_cents, status, owner_issuer, owner_subject, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          order.id,
          order.userId,
          order.currency,
          order.totalCents,
          order.status,
          order.owner?.issuer ?? null,
          order.owner?.subject ?? null,
          order.createdAt,
          order.updatedAt,
        ],
      );
      for (const [position, item] of order.items.entries()) {
        await tx.query(
          'INSERT INTO order_items (order_id, position, sku, quantity, unit_price_cents) VALUES ($1, $2, $3, $4, $5)',
          [order.id, position, item.sku, item.quantity, item.unitPriceCents],
        );
      }
    });
  }

  async find(id: string): Promise<StoredOrder | undefined> {
    const { rows } = await this.db.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1`, [id]);
    const [stored] = await this.#withItems(rows);
    return stored;
  }

  async list(
    filter: { owner?: Owner; userId?: string; status?: OrderStatus },
    limit: number,
    cursor: string | undefined,
  ) {
    const after = cursor === undefined ? 0 : decodeCursor(cursor);
    const { rows } = await this.db.query<OrderRow>(
      `SELECT ${COLUMNS} FROM orders
       WHERE seq > $1 AND ($2::uuid IS NULL OR user_id = $2) AND ($3::text IS NULL OR status = $3)
         AND ($5::text IS NULL OR (owner_subject = $5 AND owner_issuer = $6))
       ORDER BY seq LIMIT $4`,
      [
        after,
        filter.userId ?? null,
        filter.status ?? null,
        limit + 1,
        filter.owner?.subject ?? null,
        filter.owner?.issuer ?? null,
      ],
    );
    const page = await this.#withItems(rows.slice(0, limit));
    return { items: page.map((s) => s.order), nextCursor: nextCursor(rows, limit) };
  }

  /**
   * Claims a PENDING order for a payment attempt with `key`: free, already held by the same key,
   * or held by an attempt older than `staleBefore`. Returns the key it took over (null if none),
   * or undefined when the order could not be claimed. The reconciler looks at the order again at
   * `reconcileAt`, in case the attempt is cut short, and keeps looking until `watchUntil` if this
   * overrules a quiet attempt (whose charge payment-service may settle late).
   */
  async claimForPayment(
    id: string,
    key: string,
    now: string,
    staleBefore: string,
    schedule: { reconcileAt: string; watchUntil: string },
  ): Promise<{ previousKey: string | null } | undefined> {
    const { rows } = await this.db.query<{ previous_key: string | null }>(
      `UPDATE orders o SET payment_key = $2, payment_key_at = $3, reconcile_after = $5,
         watch_until = CASE WHEN previous.previous_key <> $2 THEN $6 ELSE o.watch_until END
       FROM (SELECT id, payment_key AS previous_key FROM orders WHERE id = $1) previous
       WHERE o.id = previous.id AND o.status = 'PENDING'
         AND (o.payment_key IS NULL OR o.payment_key = $2 OR o.payment_key_at < $4)
       RETURNING previous.previous_key`,
      [id, key, now, staleBefore, schedule.reconcileAt, schedule.watchUntil],
    );
    return rows[0] === undefined ? undefined : { previousKey: rows[0].previous_key };
  }

  /**
   * Frees the order from a payment attempt that is over (declined), so another may start; the
   * attempt ended, so the reconciler need not look unless it watches the order for another reason.
   */
  async releasePayment(id: string, key: string, now: string): Promise<void> {
    await this.db.query(
      `UPDATE orders SET payment_key = NULL, payment_key_at = NULL, ${UNSCHEDULE_UNLESS_WATCHED}
       WHERE id = $1 AND status = 'PENDING' AND payment_key = $2`,
      [id, key, now],
    );
  }

  /**
   * PENDING to PAID, only for the attempt holding the order; false if it no longer does. A request
   * that finished its attempt takes the order off the reconciler's schedule (unless it is watched:
   * an overruled attempt may still leave a charge behind it); the reconciler keeps it on.
   */
  async markPaid(
    id: string,
    key: string,
    paymentId: string,
    now: string,
    { finished = true }: { finished?: boolean } = {},
  ): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE orders SET status = 'PAID', payment_id = $4, updated_at = $3${finished ? `, ${UNSCHEDULE_UNLESS_WATCHED}` : ''}
       WHERE id = $1 AND status = 'PENDING' AND payment_key = $2`,
      [id, key, now, paymentId],
    );
    return rowCount > 0;
  }

  /**
   * `from` to CANCELLED (with the refund of a paid order); false if the order was no longer `from`,
   * or if a PENDING order is held by a live payment attempt other than `holder`'s.
   */
  async cancel(
    id: string,
    from: OrderStatus,
    refundId: string | null,
    now: string,
    staleBefore: string,
    holder: string | null = null,
  ): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE orders SET status = 'CANCELLED', refund_id = $3, updated_at = $4,
         reconcile_after = CASE WHEN watch_until > $4 THEN reconcile_after END
       WHERE id = $1 AND status = $2
         AND (status = 'PAID' OR payment_key IS NULL OR payment_key = $6 OR payment_key_at < $5)`,
      [id, from, refundId, now, staleBefore, holder],
    );
    return rowCount > 0;
  }

  /** Records that a cancel of this PAID order was accepted, and when to check that it was finished. */
  async requestCancel(id: string, now: string, reconcileAt: string): Promise<void> {
    await this.db.query(
      `UPDATE orders SET cancel_requested_at = COALESCE(cancel_requested_at, $2), reconcile_after = $3
       WHERE id = $1 AND status = 'PAID'`,
      [id, now, reconcileAt],
    );
  }

  /** Keeps the reconciler looking at the order until `until` (an attempt was seen quiet). */
  async watch(id: string, until: string): Promise<void> {
    await this.db.query('UPDATE orders SET watch_until = GREATEST(watch_until, $2) WHERE id = $1', [id, until]);
  }

  /** A charge found behind an order cancelled unpaid, now refunded: the order shows both. */
  async recordRefundedCharge(id: string, paymentId: string, refundId: string, now: string): Promise<void> {
    await this.db.query(
      `UPDATE orders SET payment_id = $2, refund_id = $3, updated_at = $4
       WHERE id = $1 AND status = 'CANCELLED' AND payment_id IS NULL`,
      [id, paymentId, refundId, now],
    );
  }

  /**
   * Schedules a visit now to each order behind a changed payment that disagrees with it: a charge
   * that is not the order's payment (a PENDING order charged, a second charge, one behind a
   * cancelled order), or the payment of a PAID order refunded behind its back. Returns how many.
   */
  async scheduleChanged(changes: readonly PaymentChange[], now: string): Promise<number> {
    const ours = changes.filter((change) => UUID.test(change.reference));
    if (ours.length === 0) return 0;
    const { rowCount } = await this.db.query(
      `UPDATE orders o SET reconcile_after = $4
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS p(reference, id, status)
       WHERE o.id = p.reference AND (o.reconcile_after IS NULL OR o.reconcile_after > $4)
         AND ((p.status = 'SUCCEEDED' AND o.payment_id IS DISTINCT FROM p.id)
              OR (p.status = 'REFUNDED' AND o.status = 'PAID' AND o.payment_id = p.id))`,
      [ours.map((c) => c.reference), ours.map((c) => c.id), ours.map((c) => c.status), now],
    );
    return rowCount;
  }

  /**
   * Leases up to `limit` orders due for reconciling (`reconcile_after` passed) until `leaseUntil`,
   * so no other replica takes them meanwhile; returns their ids.
   */
  async leaseDue(now: string, leaseUntil: string, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `UPDATE orders SET reconcile_after = $2
       WHERE id IN (SELECT id FROM orders WHERE reconcile_after <= $1
                    ORDER BY reconcile_after LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [now, leaseUntil, limit],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Ends a lease: when to look again (null: never), unless the order was scheduled anew
   * meanwhile (a new payment attempt or cancel), which then stands.
   */
  async endLease(id: string, leaseUntil: string, next: string | null): Promise<void> {
    await this.db.query('UPDATE orders SET reconcile_after = $3 WHERE id = $1 AND reconcile_after = $2', [
      id,
      leaseUntil,
      next,
    ]);
  }

  async #withItems(rows: OrderRow[]): Promise<StoredOrder[]> {
    if (rows.length === 0) return [];
    const { rows: items } = await this.db.query<ItemRow>(
      'SELECT order_id, sku, quantity, unit_price_cents FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, position',
      [rows.map((r) => r.id)],
    );
    const byOrder = new Map<string, OrderItem[]>();
    for (const item of items) {
      const list = byOrder.get(item.order_id) ?? [];
      list.push({ sku: item.sku, quantity: item.quantity, unitPriceCents: Number(item.unit_price_cents) });
      byOrder.set(item.order_id, list);
    }
    return rows.map((row) => ({
      order: {
        id: row.id,
        userId: row.user_id,
        owner:
          row.owner_issuer === null || row.owner_subject === null
            ? null
            : { issuer: row.owner_issuer, subject: row.owner_subject },
        currency: row.currency as Currency,
        items: byOrder.get(row.id) ?? [],
        totalCents: Number(row.total_cents),
        status: row.status,
        paymentId: row.payment_id,
        refundId: row.refund_id,
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString(),
      },
      paymentKey: row.payment_key,
      paymentKeyAt: row.payment_key_at?.toISOString() ?? null,
      cancelRequested: row.cancel_requested_at !== null,
      watchUntil: row.watch_until?.toISOString() ?? null,
    }));
  }
}
