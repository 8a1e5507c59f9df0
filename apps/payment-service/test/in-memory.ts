import { randomUUID } from 'node:crypto';
import type { Currency } from '@platform/money';
import { decodeCursor, encodeCursor, type Queryable } from '@platform/persistence';
import type { InMemoryIdempotencyKeys, Snapshotting } from '@platform/persistence/testing';
import type { Payment, Refund } from '../src/payments/payment';
import type { PaymentStore, StoredPayment } from '../src/payments/ports';
import {
  type ChargeRequest,
  type ChargeResult,
  type LedgerCharge,
  type LedgerWindow,
  type PaymentProvider,
  ProviderError,
  type RefundRequest,
} from '../src/payments/provider';

/*
 * The payments domain's ports in memory, for tests of its rules that start nothing: a store with
 * `PaymentRepository`'s rules, and a card provider (the one true outer edge) whose answers and
 * failures a test decides. The real ones run on real engines in payments.spec.ts.
 */

interface PaymentRecord extends StoredPayment {
  readonly seq: number;
  readonly idempotencyKey: string;
}

/** `PaymentStore` in memory; charges in progress are read from the idempotency keys, as the SQL joins them. */
export class InMemoryPaymentStore implements PaymentStore, Snapshotting {
  #payments: PaymentRecord[] = [];
  #refunds: (Refund & { providerRefundId: string })[] = [];
  #seq = 0;
  /** While above zero, each write fails (a lock timeout, a failover) and counts down. */
  failWrites = 0;

  constructor(private readonly keys: InMemoryIdempotencyKeys) {}

  /** Every payment stored, for assertions. */
  all(): readonly Payment[] {
    return this.#payments.map((record) => this.#view(record).payment);
  }

  async insertOnce(_tx: Queryable, stored: StoredPayment, idempotencyKey: string): Promise<StoredPayment> {
    this.#failIfAsked();
    const existing = this.#payments.find((record) => record.idempotencyKey === idempotencyKey);
    if (existing === undefined) this.#payments.push({ ...structuredClone(stored), seq: ++this.#seq, idempotencyKey });
    return (await this.findByIdempotencyKey(idempotencyKey)) as StoredPayment;
  }

  async findByIdempotencyKey(key: string): Promise<StoredPayment | undefined> {
    const record = this.#payments.find((candidate) => candidate.idempotencyKey === key);
    return record === undefined ? undefined : this.#view(record);
  }

  async find(id: string): Promise<StoredPayment | undefined> {
    const record = this.#payments.find((candidate) => candidate.payment.id === id);
    return record === undefined ? undefined : this.#view(record);
  }

  async list(
    filter: { reference?: string | undefined; updatedAfter?: string | undefined },
    limit: number,
    cursor: string | undefined,
  ) {
    const after = cursor === undefined ? 0 : decodeCursor(cursor);
    const rows = this.#payments.filter(
      ({ seq, payment }) =>
        seq > after &&
        (filter.reference === undefined || payment.reference === filter.reference) &&
        (filter.updatedAfter === undefined || payment.updatedAt > filter.updatedAfter),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((record) => this.#view(record).payment),
      nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.seq) : null,
    };
  }

  async otherChargeInProgress(reference: string, key: string): Promise<boolean> {
    return this.keys
      .inProgressKeys('payments')
      .some(
        (entry) => entry.key !== key && entry.request !== null && JSON.parse(entry.request).reference === reference,
      );
  }

  async refund(
    _tx: Queryable,
    paymentId: string,
    refund: Refund & { providerRefundId: string },
  ): Promise<Refund | undefined> {
    this.#failIfAsked();
    const index = this.#payments.findIndex((record) => record.payment.id === paymentId);
    const record = this.#payments[index];
    if (record?.payment.status !== 'SUCCEEDED') return undefined;
    this.#payments[index] = {
      ...record,
      payment: { ...record.payment, status: 'REFUNDED', updatedAt: refund.createdAt },
    };
    this.#refunds.push(structuredClone(refund));
    const { providerRefundId: _kept, ...shown } = refund;
    return shown;
  }

  snapshot(): unknown {
    return structuredClone({ payments: this.#payments, refunds: this.#refunds, seq: this.#seq });
  }

  restore(state: unknown): void {
    ({
      payments: this.#payments,
      refunds: this.#refunds,
      seq: this.#seq,
    } = state as {
      payments: PaymentRecord[];
      refunds: (Refund & { providerRefundId: string })[];
      seq: number;
    });
  }

  #view(record: PaymentRecord): StoredPayment {
    const refundId = this.#refunds.find((refund) => refund.paymentId === record.payment.id)?.id ?? null;
    return { payment: { ...structuredClone(record.payment), refundId }, providerChargeId: record.providerChargeId };
  }

  #failIfAsked(): void {
    if (this.failWrites <= 0) return;
    this.failWrites--;
    throw new Error('canceling statement due to lock timeout');
  }
}

/** Tokens the in-memory provider answers specially. */
export const TOKENS = { visa: 'tok_visa', declined: 'tok_chargeDeclined' } as const;

interface ProviderCharge extends LedgerCharge {
  readonly token: string;
}

/**
 * A card provider in memory: deduplicates charges and refunds by idempotency key, lists its
 * ledger, and fails as a test asks: refuses a call (nothing done), or hangs until the caller's
 * deadline (which may or may not have charged).
 */
export class InMemoryProvider implements PaymentProvider {
  readonly name = 'in-memory';
  readonly #charges: ProviderCharge[] = [];
  readonly #refunds = new Map<string, { chargeId: string; refundId: string }>();
  /** The next call is refused: the provider answers that it did nothing. */
  refuseNext = false;
  /** The next charge is made, but no answer comes before the caller's deadline. */
  hangAfterChargingNext = false;
  /** The next call hangs before doing anything: the caller cannot tell. */
  hangBeforeNext = false;

  constructor(private readonly now: () => Date) {}

  /** How many charges the provider made (a second one for the same purchase is the defect these tests hunt). */
  get chargeCount(): number {
    return this.#charges.filter((charge) => charge.result.outcome === 'succeeded').length;
  }

  refundCount(): number {
    return this.#refunds.size;
  }

  /** A charge made under one of the service's keys that the service never heard of (its answer lost for good). */
  chargeBehind(request: Omit<ChargeRequest, 'token'>, reference: string | null = request.reference): void {
    this.#charges.push(this.#newCharge({ ...request, token: TOKENS.visa }, reference));
  }

  async charge(request: ChargeRequest, signal: AbortSignal): Promise<ChargeResult> {
    await this.#enter(signal);
    let charge = this.#charges.find((candidate) => candidate.idempotencyKey === request.idempotencyKey);
    if (charge === undefined) {
      charge = this.#newCharge(request, request.reference);
      this.#charges.push(charge);
    }
    if (this.hangAfterChargingNext) {
      this.hangAfterChargingNext = false;
      await hang(signal);
    }
    return charge.result;
  }

  async refund(request: RefundRequest, signal: AbortSignal): Promise<{ refundId: string }> {
    await this.#enter(signal);
    const done = this.#refunds.get(request.idempotencyKey);
    if (done !== undefined) return { refundId: done.refundId };
    const refundId = `re_${randomUUID()}`;
    this.#refunds.set(request.idempotencyKey, { chargeId: request.chargeId, refundId });
    return { refundId };
  }

  async findCharge(idempotencyKey: string, signal: AbortSignal): Promise<ChargeResult | undefined> {
    await this.#enter(signal);
    return this.#charges.find((charge) => charge.idempotencyKey === idempotencyKey)?.result;
  }

  async findRefund(idempotencyKey: string, signal: AbortSignal): Promise<{ refundId: string } | undefined> {
    await this.#enter(signal);
    const done = this.#refunds.get(idempotencyKey);
    return done === undefined ? undefined : { refundId: done.refundId };
  }

  async listCharges(window: LedgerWindow, signal: AbortSignal): Promise<readonly LedgerCharge[]> {
    await this.#enter(signal);
    const { createdAt, idempotencyKey } = window.after;
    return this.#charges
      .filter(
        (charge) =>
          (charge.createdAt > createdAt ||
            (charge.createdAt === createdAt && charge.idempotencyKey > idempotencyKey)) &&
          charge.createdAt <= window.until,
      )
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.idempotencyKey.localeCompare(b.idempotencyKey))
      .slice(0, window.limit);
  }

  #newCharge(request: ChargeRequest, reference: string | null): ProviderCharge {
    const card = { brand: 'visa', last4: '4242' };
    const result: ChargeResult =
      request.token === TOKENS.declined
        ? { outcome: 'declined', code: 'card_declined', ...card }
        : { outcome: 'succeeded', chargeId: `ch_${randomUUID()}`, ...card };
    return {
      idempotencyKey: request.idempotencyKey,
      token: request.token,
      result,
      amountCents: request.amountCents,
      currency: request.currency as Currency,
      reference,
      createdAt: this.now().toISOString(),
    };
  }

  async #enter(signal: AbortSignal): Promise<void> {
    if (this.hangBeforeNext) {
      this.hangBeforeNext = false;
      await hang(signal);
    }
    if (this.refuseNext) {
      this.refuseNext = false;
      throw new ProviderError('card_processing_error');
    }
  }
}

/** Waits until the caller gives up (its deadline aborts the call). */
const hang = (signal: AbortSignal) =>
  new Promise<never>((_resolve, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
  );
