import type { Currency } from '@platform/money';
import { decodeCursor, nextCursor, type Queryable } from '@platform/persistence';
import type { PaymentStatus, Refund } from './payment';
import type { PaymentStore, StoredPayment } from './ports';

interface PaymentRow {
  id: string;
  seq: number;
  status: PaymentStatus;
  amount_cents: number;
  currency: string;
  reference: string;
  method_type: 'card';
  brand: string;
  last4: string;
  failure_code: string | null;
  provider_charge_id: string | null;
  refund_id: string | null;
  created_at: Date;
  updated_at: Date;
}

interface RefundRow {
  id: string;
  payment_id: string;
  amount_cents: number;
  currency: string;
  created_at: Date;
}

/** A payment with the id of its refund, if it has one. */
const SELECT_PAYMENTS = `SELECT p.id, p.seq, p.status, p.amount_cents, p.currency, p.reference, p.method_type, p.brand,
    p.last4, p.failure_code, p.provider_charge_id, r.id AS refund_id, p.created_at, p.updated_at
  FROM payments p LEFT JOIN refunds r ON r.payment_id = p.id`;

const toStored = (row: PaymentRow): StoredPayment => ({
  payment: {
    id: row.id,
    status: row.status,
    amountCents: Number(row.amount_cents),
    currency: row.currency as Currency,
    reference: row.reference,
    method: { type: row.method_type, brand: row.brand, last4: row.last4 },
    failureCode: row.failure_code,
    refundId: row.refund_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  },
  providerChargeId: row.provider_charge_id,
});

const toRefund = (row: RefundRow): Refund => ({
  id: row.id,
  paymentId: row.payment_id,
  status: 'SUCCEEDED',
  amountCents: Number(row.amount_cents),
  currency: row.currency as Currency,
  createdAt: row.created_at.toISOString(),
});

/** The SQL of payments and refunds; both engines run it unchanged. */
export class PaymentRepository implements PaymentStore {
  constructor(private readonly db: Queryable) {}

  /** Inserts the payment unless one already exists for its idempotency key; returns the stored one. */
  async insertOnce(tx: Queryable, stored: StoredPayment, idempotencyKey: string): Promise<StoredPayment> {
    const p = stored.payment;
    await tx.query(
      `INSERT INTO payments (id, status, amount_cents, currency, reference, method_type, brand, last4, failure_code,
                             provider_charge_id, idempotency_key, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        p.id,
        p.status,
        p.amountCents,
        p.currency,
        p.reference,
        p.method.type,
        p.method.brand,
        p.method.last4,
        p.failureCode,
        stored.providerChargeId,
        idempotencyKey,
        p.createdAt,
        p.updatedAt,
      ],
    );
    return (await this.findByIdempotencyKey(idempotencyKey, tx)) as StoredPayment;
  }

  async findByIdempotencyKey(key: string, db: Queryable = this.db): Promise<StoredPayment | undefined> {
    const { rows } = await db.query<PaymentRow>(`${SELECT_PAYMENTS} WHERE p.idempotency_key = $1`, [key]);
    return rows[0] === undefined ? undefined : toStored(rows[0]);
  }

  async find(id: string): Promise<StoredPayment | undefined> {
    const { rows } = await this.db.query<PaymentRow>(`${SELECT_PAYMENTS} WHERE p.id = $1`, [id]);
    return rows[0] === undefined ? undefined : toStored(rows[0]);
  }

  async list(
    filter: { reference?: string | undefined; updatedAfter?: string | undefined },
    limit: number,
    cursor: string | undefined,
  ) {
    const after = cursor === undefined ? 0 : decodeCursor(cursor);
    const { rows } = await this.db.query<PaymentRow>(
      `${SELECT_PAYMENTS} WHERE p.seq > $1 AND ($2::text IS NULL OR p.reference = $2)
         AND ($4::timestamptz IS NULL OR p.updated_at > $4) ORDER BY p.seq LIMIT $3`,
      [after, filter.reference ?? null, limit + 1, filter.updatedAfter ?? null],
    );
    return { items: rows.slice(0, limit).map((row) => toStored(row).payment), nextCursor: nextCursor(rows, limit) };
  }

  /**
   * Whether another charge of `reference` is still in progress under a key other than `key`: its
   * outcome is unknown (the provider may have charged), so a charge with a new key must wait.
   */
  async otherChargeInProgress(reference: string, key: string): Promise<boolean> {
    const { rows } = await this.db.query(
      `SELECT 1 FROM idempotency_keys
       WHERE scope = 'payments' AND state = 'in_progress' AND (request::jsonb ->> 'reference') = $1 AND key <> $2
       LIMIT 1`,
      [reference, key],
    );
    return rows.length > 0;
  }

  /** Marks a succeeded payment refunded and records the refund; undefined if it was not SUCCEEDED any more. */
  async refund(
    tx: Queryable,
    paymentId: string,
    refund: Refund & { providerRefundId: string },
  ): Promise<Refund | undefined> {
    const updated = await tx.query(
      "UPDATE payments SET status = 'REFUNDED', updated_at = $2 WHERE id = $1 AND status = 'SUCCEEDED'",
      [paymentId, refund.createdAt],
    );
    if (updated.rowCount === 0) return undefined;
    const { rows } = await tx.query<RefundRow>(
      `INSERT INTO refunds (id, payment_id, amount_cents, currency, provider_refund_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, payment_id, amount_cents, currency, created_at`,
      [refund.id, paymentId, refund.amountCents, refund.currency, refund.providerRefundId, refund.createdAt],
    );
    return toRefund(rows[0] as RefundRow);
  }
}
