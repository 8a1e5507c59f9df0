import type { Owner } from '@platform/auth';
import type { Currency } from '@platform/money';
import { decodeCursor, nextCursor, type Queryable } from '@platform/persistence';
import type { Order, OrderItem, OrderStatus } from './order';

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

/** An order as stored, with the key of the payment attempt that holds or paid it. */
export interface StoredOrder {
  readonly order: Order;
  readonly paymentKey: string | null;
}

const COLUMNS =
  'id, seq, user_id, currency, total_cents, status, payment_id, refund_id, payment_key, owner_issuer, owner_subject, created_at, updated_at';

/** The SQL of orders and their items; both engines run it unchanged. */
export class OrderRepository {
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
   * or undefined when the order could not be claimed.
   */
  async claimForPayment(
    id: string,
    key: string,
    now: string,
    staleBefore: string,
  ): Promise<{ previousKey: string | null } | undefined> {
    const { rows } = await this.db.query<{ previous_key: string | null }>(
      `UPDATE orders o SET payment_key = $2, payment_key_at = $3
       FROM (SELECT id, payment_key AS previous_key FROM orders WHERE id = $1) previous
       WHERE o.id = previous.id AND o.status = 'PENDING'
         AND (o.payment_key IS NULL OR o.payment_key = $2 OR o.payment_key_at < $4)
       RETURNING previous.previous_key`,
      [id, key, now, staleBefore],
    );
    return rows[0] === undefined ? undefined : { previousKey: rows[0].previous_key };
  }

  /** Frees the order from a payment attempt that is over (declined), so another may start. */
  async releasePayment(id: string, key: string): Promise<void> {
    await this.db.query(
      "UPDATE orders SET payment_key = NULL, payment_key_at = NULL WHERE id = $1 AND status = 'PENDING' AND payment_key = $2",
      [id, key],
    );
  }

  /** PENDING to PAID, only for the attempt holding the order; false if it no longer does. */
  async markPaid(id: string, key: string, paymentId: string, now: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE orders SET status = 'PAID', payment_id = $3, updated_at = $4
       WHERE id = $1 AND status = 'PENDING' AND payment_key = $2`,
      [id, key, paymentId, now],
    );
    return rowCount > 0;
  }

  /** `from` to CANCELLED (with the refund of a paid order); false if the order was no longer `from`. */
  async cancel(
    id: string,
    from: OrderStatus,
    refundId: string | null,
    now: string,
    staleBefore: string,
  ): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE orders SET status = 'CANCELLED', refund_id = $3, updated_at = $4
       WHERE id = $1 AND status = $2 AND (status = 'PAID' OR payment_key IS NULL OR payment_key_at < $5)`,
      [id, from, refundId, now, staleBefore],
    );
    return rowCount > 0;
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
    }));
  }
}
