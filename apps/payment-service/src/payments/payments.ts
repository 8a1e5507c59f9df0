import { randomUUID } from 'node:crypto';
import type { Page } from '@platform/contracts';
import { problems, ProblemError } from '@platform/errors';
import { type Database, type IdempotencyStore, requestFingerprint } from '@platform/persistence';
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

/** A charge as it ended: the payment, and whether this is the recorded answer to an earlier request. */
export interface ChargeOutcome {
  readonly outcome: 'succeeded' | 'declined';
  readonly payment: Payment;
  readonly replayed: boolean;
}

export interface RefundOutcome {
  readonly refund: Refund;
  readonly replayed: boolean;
}

/** The scopes of idempotency keys: one per kind of write. */
const CHARGES = 'payments';
const REFUNDS = 'refunds';

const inProgress = () =>
  new ProblemError(
    problems.idempotencyInProgress,
    'A request with this Idempotency-Key is still being processed; retry shortly.',
    { headers: { 'retry-after': '1' } },
  );

const keyReused = () =>
  new ProblemError(problems.idempotencyKeyReused, 'This Idempotency-Key was already used with a different request.');

/**
 * Charging and refunding; plain TypeScript, no HTTP. Every write runs under its idempotency key:
 * a completed key gives back its first outcome; a key still in progress is a 409; a key reused
 * with another request is a 422. The outcome is recorded in the transaction that stores the
 * payment or the refund, so the two commit together or not at all; a failure that stored nothing
 * gives the key back so a retry runs again.
 */
export class Payments {
  readonly #now: () => Date;

  constructor(
    private readonly db: Database,
    private readonly repository: PaymentRepository,
    private readonly idempotency: IdempotencyStore,
    private readonly provider: PaymentProvider,
    private readonly options: PaymentsOptions,
  ) {
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Charges the card once per idempotency key: a retry after a crash finds the stored payment,
   * and the provider call carries the key, so even a lost response is never charged twice. A
   * declined card is an outcome too (a FAILED payment); a provider failure throws a 502 problem.
   */
  async charge(input: CreatePaymentInput, idempotencyKey: string): Promise<ChargeOutcome> {
    const claim = await this.idempotency.begin(
      CHARGES,
      idempotencyKey,
      requestFingerprint(input),
      // What settling an abandoned charge needs; never the card token.
      JSON.stringify({ amountCents: input.amountCents, currency: input.currency, reference: input.reference }),
    );
    switch (claim.state) {
      case 'replay':
        return { ...(JSON.parse(claim.result) as Omit<ChargeOutcome, 'replayed'>), replayed: true };
      case 'in-progress':
        throw inProgress();
      case 'mismatch':
        throw keyReused();
      case 'started':
        break;
    }
    try {
      const existing = await this.repository.findByIdempotencyKey(idempotencyKey);
      const candidate = existing ?? (await this.#chargeAtProvider(input, idempotencyKey));
      return await this.#record(candidate, idempotencyKey);
    } catch (error) {
      await this.idempotency.release(CHARGES, idempotencyKey).catch(() => undefined);
      throw error;
    }
  }

  async get(id: string): Promise<Payment> {
    const stored = await this.repository.find(id);
    if (stored === undefined) throw paymentNotFound(id);
    return stored.payment;
  }

  list(input: ListPaymentsInput): Promise<Page<Payment>> {
    return this.repository.list(input.reference, input.limit, input.cursor);
  }

  /** Refunds the whole payment, once: the provider call is keyed by the payment. */
  async refund(paymentId: string, idempotencyKey: string): Promise<RefundOutcome> {
    const claim = await this.idempotency.begin(REFUNDS, idempotencyKey, requestFingerprint(paymentId, {}));
    switch (claim.state) {
      case 'replay':
        return { ...(JSON.parse(claim.result) as Omit<RefundOutcome, 'replayed'>), replayed: true };
      case 'in-progress':
        throw inProgress();
      case 'mismatch':
        throw keyReused();
      case 'started':
        break;
    }
    try {
      return await this.#refund(paymentId, idempotencyKey);
    } catch (error) {
      await this.idempotency.release(REFUNDS, idempotencyKey).catch(() => undefined);
      throw error;
    }
  }

  async #refund(paymentId: string, idempotencyKey: string): Promise<RefundOutcome> {
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
      await this.idempotency.complete(tx, REFUNDS, idempotencyKey, JSON.stringify({ refund }));
      return { refund, replayed: false };
    });
  }

  /** Stores the charge's payment (once per key) and its outcome, in one transaction. */
  async #record(candidate: StoredPayment, idempotencyKey: string): Promise<ChargeOutcome> {
    return this.db.transaction(async (tx) => {
      const { payment } = await this.repository.insertOnce(tx, candidate, idempotencyKey);
      const outcome = { outcome: payment.status === 'FAILED' ? 'declined' : 'succeeded', payment } as const;
      await this.idempotency.complete(tx, CHARGES, idempotencyKey, JSON.stringify(outcome));
      return { ...outcome, replayed: false };
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
