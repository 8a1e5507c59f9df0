import type { Page } from '@platform/contracts';
import type { Queryable } from '@platform/persistence';
import type { Payment, Refund } from './payment';

/** A payment as stored: with the provider's charge id, which is never shown to clients. */
export interface StoredPayment {
  readonly payment: Payment;
  readonly providerChargeId: string | null;
}

/**
 * Where payments and refunds are kept (PostgreSQL: `PaymentRepository`). The writes take the
 * transaction (`tx`) in which the idempotency key's outcome is recorded too, so both or neither last.
 */
export interface PaymentStore {
  /** Inserts the payment unless one exists for its idempotency key; returns the stored one. */
  insertOnce(tx: Queryable, stored: StoredPayment, idempotencyKey: string): Promise<StoredPayment>;
  findByIdempotencyKey(key: string): Promise<StoredPayment | undefined>;
  find(id: string): Promise<StoredPayment | undefined>;
  list(
    filter: { reference?: string | undefined; updatedAfter?: string | undefined },
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<Payment>>;
  /** Whether a charge of `reference` under a key other than `key` is still in progress (its outcome unknown). */
  otherChargeInProgress(reference: string, key: string): Promise<boolean>;
  /** Marks a SUCCEEDED payment REFUNDED and records the refund; undefined if it was not SUCCEEDED any more. */
  refund(tx: Queryable, paymentId: string, refund: Refund & { providerRefundId: string }): Promise<Refund | undefined>;
}

/** Transactions: what the payments need of their database. */
export interface Transactions {
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
}
