import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '@platform/persistence';
import {
  type CreatePaymentInput,
  type ListPaymentsInput,
  notRefundable,
  type Payment,
  paymentNotFound,
  type Refund,
} from './payment';
import type { PaymentRepository, StoredPayment } from './payment-repository';
import { callProvider, type PaymentProvider } from './provider';

export interface PaymentsOptions {
  readonly providerTimeoutMs: number;
  readonly now?: () => Date;
}

/**
 * Charging and refunding; plain TypeScript, no HTTP. Each operation takes `record`, called in the
 * transaction that stores its outcome, so the caller's own bookkeeping (the idempotency record)
 * commits with it or not at all.
 */
export class Payments {
  readonly #now: () => Date;

  constructor(
    private readonly db: Database,
    private readonly repository: PaymentRepository,
    private readonly provider: PaymentProvider,
    private readonly options: PaymentsOptions,
  ) {
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Charges the card once per idempotency key: a retry after a crash finds the stored payment, and
   * the provider call carries the key, so even a lost response is never charged twice. Returns the
   * payment, SUCCEEDED or FAILED (declined); a provider failure throws a 502 problem and stores nothing.
   */
  async charge<T>(
    input: CreatePaymentInput,
    idempotencyKey: string,
    record: (tx: Queryable, payment: Payment) => Promise<T>,
  ): Promise<T> {
    const existing = await this.repository.findByIdempotencyKey(idempotencyKey);
    const candidate = existing ?? (await this.#chargeAtProvider(input, idempotencyKey));
    return this.db.transaction(async (tx) => {
      const stored = await this.repository.insertOnce(tx, candidate, idempotencyKey);
      return record(tx, stored.payment);
    });
  }

  async get(id: string): Promise<Payment> {
    const stored = await this.repository.find(id);
    if (stored === undefined) throw paymentNotFound(id);
    return stored.payment;
  }

  list(input: ListPaymentsInput) {
    return this.repository.list(input.reference, input.limit, input.cursor);
  }

  /** Refunds the whole payment, once: the provider call is keyed by the payment. */
  async refund<T>(paymentId: string, record: (tx: Queryable, refund: Refund) => Promise<T>): Promise<T> {
    const stored = await this.repository.find(paymentId);
    if (stored === undefined) throw paymentNotFound(paymentId);
    const { payment, providerChargeId } = stored;
    if (payment.status !== 'SUCCEEDED' || providerChargeId === null) throw notRefundable(payment);
    const { refundId } = await callProvider(this.options.providerTimeoutMs, (signal) =>
      this.provider.refund(
        { chargeId: providerChargeId, amountCents: payment.amountCents, idempotencyKey: `refund:${payment.id}` },
        signal,
      ),
    );
    return this.db.transaction(async (tx) => {
      const refund = await this.repository.refund(tx, payment.id, {
        id: randomUUID(),
        paymentId: payment.id,
        status: 'SUCCEEDED',
        amountCents: payment.amountCents,
        currency: payment.currency,
        createdAt: this.#now().toISOString(),
        providerRefundId: refundId,
      });
      // Another request refunded it first (with another idempotency key).
      if (refund === undefined) throw notRefundable({ ...payment, status: 'REFUNDED' });
      return record(tx, refund);
    });
  }

  async #chargeAtProvider(input: CreatePaymentInput, idempotencyKey: string): Promise<StoredPayment> {
    const result = await callProvider(this.options.providerTimeoutMs, (signal) =>
      this.provider.charge(
        {
          amountCents: input.amountCents,
          currency: input.currency,
          token: input.method.token,
          idempotencyKey: `charge:${idempotencyKey}`,
        },
        signal,
      ),
    );
    const timestamp = this.#now().toISOString();
    const succeeded = result.outcome === 'succeeded';
    return {
      payment: {
        id: randomUUID(),
        status: succeeded ? 'SUCCEEDED' : 'FAILED',
        amountCents: input.amountCents,
        currency: input.currency,
        reference: input.reference,
        method: { type: 'card', brand: result.brand, last4: result.last4 },
        failureCode: succeeded ? null : result.code,
        createdAt: timestamp,
        updatedAt: timestamp,
      },
      providerChargeId: succeeded ? result.chargeId : null,
    };
  }
}
