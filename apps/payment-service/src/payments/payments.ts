import { randomUUID } from 'node:crypto';
import { ADMIN_SCOPE, insufficientScope, isAdmin, type Principal } from '@platform/auth';
import type { Page } from '@platform/contracts';
import { problems, ProblemError } from '@platform/errors';
import { type CheckpointStore, type IdempotencyKeys, requestFingerprint } from '@platform/persistence';
import type { Repair } from '@platform/runtime';
import {
  type CreatePaymentInput,
  type ListPaymentsInput,
  notRefundable,
  type Payment,
  paymentInProgress,
  paymentNotFound,
  type Refund,
} from './payment';
import type { PaymentStore, StoredPayment, Transactions } from './ports';
import {
  callProvider,
  type ChargeResult,
  type LedgerCharge,
  outcomeUnknown,
  type PaymentProvider,
  providerRefused,
} from './provider';

export interface PaymentsOptions {
  readonly providerTimeoutMs: number;
  /**
   * How long a write may stay in progress before it counts as abandoned (see `abandonedAfterMs`):
   * the provider's ledger is reconciled only up to this long ago, leaving younger charges to their
   * requests and to the settling of abandoned keys.
   */
  readonly abandonedAfterMs: number;
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

/** How a write left in progress (a crash, or a failure after the provider's call) was settled: recorded as it happened, or its key given back. */
export interface Settlement {
  readonly kind: 'charge' | 'refund';
  readonly key: string;
  readonly outcome: 'recorded' | 'released';
  readonly paymentId: string | null;
}

/** What reconciling the provider's ledger did about a charge nobody recorded. */
export interface LedgerRepair {
  /** Recorded as the payment its request would have made, or refunded when it cannot be told what it was for. */
  readonly outcome: 'recorded' | 'refunded';
  readonly key: string;
  readonly paymentId: string | null;
}

/** How long a write stays in progress before it counts as abandoned: unless set, its provider call and retries, with room. */
export const abandonedAfterMs = (options: { providerTimeoutMs: number; abandonedAfterMs?: number | undefined }) =>
  options.abandonedAfterMs ?? 4 * options.providerTimeoutMs + 10_000;

/** A settlement as the log line and metric of a repair. */
export const settlementRepair = (settlement: Settlement): Repair => ({
  repair: `${settlement.kind}-${settlement.outcome}`,
  message:
    settlement.outcome === 'recorded'
      ? `a ${settlement.kind} left in progress was made at the provider: recorded`
      : `a ${settlement.kind} left in progress was never made at the provider: its key was given back`,
  idempotency_key: settlement.key,
  payment_id: settlement.paymentId,
});

/** A repair of the provider's ledger as the log line and metric of a repair. */
export const ledgerRepair = (repair: LedgerRepair): Repair => ({
  repair: `ledger-charge-${repair.outcome}`,
  message:
    repair.outcome === 'recorded'
      ? 'the provider holds a charge nobody recorded: recorded as its request would have'
      : 'the provider holds a charge nobody recorded and nothing says what it was for: refunded',
  idempotency_key: repair.key,
  payment_id: repair.paymentId,
});

/** How far back the first pass over the provider's ledger looks; later passes resume where the last stopped. */
export const LEDGER_FIRST_LOOKBACK_MS = 24 * 3600_000;
const LEDGER_CHECKPOINT = 'provider-ledger';
const LEDGER_PAGE = 100;

/** What settling an abandoned charge or refund needs (kept with its key; never the card token). */
interface ChargeSummary {
  readonly amountCents: number;
  readonly currency: CreatePaymentInput['currency'];
  readonly reference: string;
}
interface RefundSummary {
  readonly paymentId: string;
}

/** How far a write got with the provider: a failure before the call, or refused by it, changed nothing. */
interface ProviderReach {
  called: boolean;
  answered: boolean;
}

/** The scopes of idempotency keys: one per kind of write. */
const CHARGES = 'payments';
const REFUNDS = 'refunds';

/**
 * Who may act on payments: the services allowed to call payment-service, and administrators
 * (`charge` is for services only). Anyone else is refused, whatever route they came by.
 */
function assertMayManage(caller: Principal, { charge = false } = {}): void {
  if (caller.kind === 'workload' ? caller.allowed : !charge && isAdmin(caller)) return;
  throw insufficientScope(charge ? undefined : [ADMIN_SCOPE]);
}

const inProgress = () =>
  new ProblemError(
    problems.idempotencyInProgress,
    'A request with this Idempotency-Key is still being processed; retry shortly.',
  );

const keyReused = () =>
  new ProblemError(problems.idempotencyKeyReused, 'This Idempotency-Key was already used with a different request.');

/**
 * Charging and refunding; plain TypeScript, no HTTP. Every write runs under its idempotency key:
 * a completed key gives back its first outcome; a key still in progress is a 409; a key reused
 * with another request is a 422. The outcome is recorded in the transaction that stores the
 * payment or the refund, so the two commit together or not at all. A failure before the provider
 * was called, or the provider's own refusal, gives the key back so a retry runs again; any other
 * failure once the provider was called keeps the key claimed with the outcome unknown until it is
 * settled with the provider (by a retry, or by `settleAbandoned`): a key is never given back blind.
 */
export class Payments {
  readonly #now: () => Date;

  constructor(
    private readonly db: Transactions,
    private readonly repository: PaymentStore,
    private readonly idempotency: IdempotencyKeys,
    private readonly provider: PaymentProvider,
    private readonly checkpoints: CheckpointStore,
    private readonly options: PaymentsOptions,
  ) {
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Charges the card once per idempotency key: a retry after a crash finds the stored payment,
   * and the provider call carries the key, so even a lost response is never charged twice. A
   * declined card is an outcome too (a FAILED payment); a provider failure throws a 502 problem.
   */
  async charge(input: CreatePaymentInput, idempotencyKey: string, caller: Principal): Promise<ChargeOutcome> {
    assertMayManage(caller, { charge: true });
    const summary: ChargeSummary = {
      amountCents: input.amountCents,
      currency: input.currency,
      reference: input.reference,
    };
    return this.#once(
      CHARGES,
      idempotencyKey,
      requestFingerprint(input),
      summary,
      (result) => {
        const recorded = JSON.parse(result) as Omit<ChargeOutcome, 'replayed'>;
        // Outcomes recorded before payments named their refund have no refundId; it was null then.
        return {
          ...recorded,
          payment: { ...recorded.payment, refundId: recorded.payment.refundId ?? null },
          replayed: true,
        };
      },
      async (reach) => {
        const existing = await this.repository.findByIdempotencyKey(idempotencyKey);
        if (existing !== undefined) return this.#record(existing, idempotencyKey);
        if (await this.repository.otherChargeInProgress(input.reference, idempotencyKey)) {
          throw paymentInProgress(input.reference);
        }
        reach.called = true;
        const result = await this.#chargeAtProvider(input, idempotencyKey);
        reach.answered = true;
        return this.#record(this.#paymentOf(input, result), idempotencyKey);
      },
    );
  }

  async get(id: string, caller: Principal): Promise<Payment> {
    assertMayManage(caller);
    const stored = await this.repository.find(id);
    if (stored === undefined) throw paymentNotFound(id);
    return stored.payment;
  }

  async list(input: ListPaymentsInput, caller: Principal): Promise<Page<Payment>> {
    assertMayManage(caller);
    return this.repository.list(input, input.limit, input.cursor);
  }

  /** Refunds the whole payment, once: the provider call is keyed by the payment. */
  async refund(paymentId: string, idempotencyKey: string, caller: Principal): Promise<RefundOutcome> {
    assertMayManage(caller);
    return this.#once(
      REFUNDS,
      idempotencyKey,
      requestFingerprint(paymentId, {}),
      { paymentId } satisfies RefundSummary,
      (result) => ({ ...(JSON.parse(result) as Omit<RefundOutcome, 'replayed'>), replayed: true }),
      (reach) => this.#refund(paymentId, idempotencyKey, reach),
    );
  }

  /**
   * Runs a write under its idempotency key: a completed key answers its recorded outcome
   * (`replay`), a key in progress is a 409, one reused with another request a 422. The summary is
   * kept with the key for whoever settles it. A failure gives the key back only when nothing can
   * have happened at the provider (not called, or it refused, or the domain said no); otherwise the
   * key stays claimed and the client is told the outcome is unknown, never "not charged".
   */
  async #once<T>(
    scope: string,
    key: string,
    fingerprint: string,
    summary: ChargeSummary | RefundSummary,
    replay: (result: string) => T,
    run: (reach: ProviderReach) => Promise<T>,
  ): Promise<T> {
    const claim = await this.idempotency.begin(scope, key, fingerprint, JSON.stringify(summary));
    switch (claim.state) {
      case 'replay':
        return replay(claim.result);
      case 'in-progress':
        throw inProgress();
      case 'mismatch':
        throw keyReused();
      case 'started':
        break;
    }
    const reach: ProviderReach = { called: false, answered: false };
    try {
      return await run(reach);
    } catch (error) {
      if (!reach.called || providerRefused(error) || isDomainAnswer(error)) {
        await this.idempotency.release(scope, key).catch(() => undefined);
        throw error;
      }
      // The provider answered and only our write failed: settle it now (a retry of the same request,
      // or the next settling run), not after the stale time. Unanswered, it may still be under way
      // there: the key waits out the stale time before anyone asks the provider what it did.
      if (reach.answered) await this.idempotency.abandon(scope, key).catch(() => undefined);
      if (error instanceof ProblemError && error.definition === problems.paymentOutcomeUnknown) throw error;
      throw outcomeUnknown('The payment provider was called but its outcome could not be recorded', error);
    }
  }

  async #refund(paymentId: string, idempotencyKey: string, reach: ProviderReach): Promise<RefundOutcome> {
    const stored = await this.repository.find(paymentId);
    if (stored === undefined) throw paymentNotFound(paymentId);
    const { payment, providerChargeId } = stored;
    if (payment.status !== 'SUCCEEDED' || providerChargeId === null) throw notRefundable(payment);
    reach.called = true;
    const { refundId } = await callProvider(this.options.providerTimeoutMs, (signal) =>
      this.provider.refund(
        { chargeId: providerChargeId, amountCents: payment.amountCents, idempotencyKey: providerRefundKey(payment.id) },
        signal,
      ),
    );
    reach.answered = true;
    return { refund: await this.#recordRefund(payment, refundId, idempotencyKey), replayed: false };
  }

  /** Stores the refund and marks its payment REFUNDED, with the key's outcome, in one transaction. */
  #recordRefund(payment: Payment, providerRefundId: string, idempotencyKey: string): Promise<Refund> {
    return this.db.transaction(async (tx) => {
      const refund = await this.repository.refund(tx, payment.id, {
        id: randomUUID(),
        paymentId: payment.id,
        status: 'SUCCEEDED',
        amountCents: payment.amountCents,
        currency: payment.currency,
        createdAt: this.#now().toISOString(),
        providerRefundId,
      });
      // Another request refunded it first (with another idempotency key).
      if (refund === undefined) throw notRefundable({ ...payment, status: 'REFUNDED' });
      await this.idempotency.complete(tx, REFUNDS, idempotencyKey, JSON.stringify({ refund }));
      return refund;
    });
  }

  /**
   * Settles the charges and refunds left in progress (a crash, or a failure after the provider was
   * called, left their keys in progress past the stale time): asks the provider what it did under
   * each key, then records that as the request itself would have, or gives the key back when the
   * provider did nothing, so that a charge is never left unknown. Each key is taken over first, so
   * this is safe beside live traffic and on every replica at once.
   */
  async settleAbandoned(
    report: (settlement: Settlement) => void = () => undefined,
    limit = 100,
  ): Promise<Settlement[]> {
    const settled: Settlement[] = [];
    const failures: unknown[] = [];
    const settle = async (work: () => Promise<Settlement>) => {
      try {
        const settlement = await work();
        settled.push(settlement);
        report(settlement);
      } catch (error) {
        failures.push(error); // this key is tried again once it is stale again; the others go on
      }
    };
    for (const { key, request } of await this.idempotency.takeOverAbandoned(CHARGES, limit)) {
      if (request !== null) await settle(() => this.#settleCharge(key, JSON.parse(request) as ChargeSummary));
    }
    for (const { key, request } of await this.idempotency.takeOverAbandoned(REFUNDS, limit)) {
      if (request !== null) await settle(() => this.#settleRefund(key, JSON.parse(request) as RefundSummary));
    }
    if (failures.length > 0) {
      throw new Error(`${failures.length} abandoned payment writes could not be settled now`, { cause: failures[0] });
    }
    return settled;
  }

  /**
   * Reconciles the provider's ledger with the payments: every charge the provider made (since the
   * last pass, up to the stale time ago) is either a recorded payment, or a key still being
   * settled, or missing. A missing one (its key was given back while the provider was still
   * charging, or it was lost some other way) is recorded as its request would have recorded it, so
   * order-service's reconciler sees it behind its order; one that cannot be told what it was for is
   * refunded. Safe on every replica at once: recording is once per key and refunds are keyed.
   */
  async reconcileLedger(report: (repair: LedgerRepair) => void = () => undefined): Promise<LedgerRepair[]> {
    const now = this.#now().getTime();
    const until = new Date(now - this.options.abandonedAfterMs).toISOString();
    const start = (await this.checkpoints.get(LEDGER_CHECKPOINT)) ?? {
      at: new Date(now - LEDGER_FIRST_LOOKBACK_MS).toISOString(),
      afterKey: '',
    };
    const repairs: LedgerRepair[] = [];
    let after = { createdAt: start.at, idempotencyKey: start.afterKey };
    for (;;) {
      const page = await callProvider(this.options.providerTimeoutMs, (signal) =>
        this.provider.listCharges({ after, until, limit: LEDGER_PAGE }, signal),
      );
      for (const charge of page) {
        const repair = await this.#reconcileCharge(charge);
        if (repair !== undefined) {
          repairs.push(repair);
          report(repair);
        }
      }
      const last = page.at(-1);
      if (last === undefined) break;
      after = { createdAt: last.createdAt, idempotencyKey: last.idempotencyKey };
      await this.checkpoints.advance(LEDGER_CHECKPOINT, { at: after.createdAt, afterKey: after.idempotencyKey });
      if (page.length < LEDGER_PAGE) break;
    }
    return repairs;
  }

  async #reconcileCharge(charge: LedgerCharge): Promise<LedgerRepair | undefined> {
    const key = keyOfProviderCharge(charge.idempotencyKey);
    if (key === undefined || charge.result.outcome !== 'succeeded') return undefined; // not ours, or nothing charged
    if ((await this.repository.findByIdempotencyKey(key)) !== undefined) return undefined;
    if (await this.idempotency.inProgress(CHARGES, key)) return undefined; // being settled
    if (charge.reference !== null) {
      const { payment } = await this.db.transaction((tx) =>
        this.repository.insertOnce(
          tx,
          this.#paymentOf({ ...charge, reference: charge.reference as string }, charge.result),
          key,
        ),
      );
      return { outcome: 'recorded', key, paymentId: payment.id };
    }
    await callProvider(this.options.providerTimeoutMs, (signal) =>
      this.provider.refund(
        {
          chargeId: (charge.result as { chargeId: string }).chargeId,
          amountCents: charge.amountCents,
          idempotencyKey: `refund:${charge.idempotencyKey}`,
        },
        signal,
      ),
    );
    return { outcome: 'refunded', key, paymentId: null };
  }

  async #settleCharge(key: string, request: ChargeSummary): Promise<Settlement> {
    let stored = await this.repository.findByIdempotencyKey(key);
    if (stored === undefined) {
      const result = await callProvider(this.options.providerTimeoutMs, (signal) =>
        this.provider.findCharge(providerChargeKey(key), signal),
      );
      if (result === undefined) {
        await this.idempotency.release(CHARGES, key);
        return { kind: 'charge', key, outcome: 'released', paymentId: null };
      }
      stored = this.#paymentOf(request, result);
    }
    const { payment } = await this.#record(stored, key);
    return { kind: 'charge', key, outcome: 'recorded', paymentId: payment.id };
  }

  async #settleRefund(key: string, { paymentId }: RefundSummary): Promise<Settlement> {
    const stored = await this.repository.find(paymentId);
    const found =
      stored?.payment.status === 'SUCCEEDED'
        ? await callProvider(this.options.providerTimeoutMs, (signal) =>
            this.provider.findRefund(providerRefundKey(paymentId), signal),
          )
        : undefined;
    if (stored === undefined || found === undefined) {
      // Nothing refunded, or refunded and recorded under another key: a retry answers as it should.
      await this.idempotency.release(REFUNDS, key);
      return { kind: 'refund', key, outcome: 'released', paymentId };
    }
    await this.#recordRefund(stored.payment, found.refundId, key);
    return { kind: 'refund', key, outcome: 'recorded', paymentId };
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

  #chargeAtProvider(input: CreatePaymentInput, idempotencyKey: string): Promise<ChargeResult> {
    return callProvider(this.options.providerTimeoutMs, (signal) =>
      this.provider.charge(
        {
          amountCents: input.amountCents,
          currency: input.currency,
          token: input.method.token,
          reference: input.reference,
          idempotencyKey: providerChargeKey(idempotencyKey),
        },
        signal,
      ),
    );
  }

  /** The payment a provider's charge result makes. */
  #paymentOf(request: ChargeSummary, result: ChargeResult): StoredPayment {
    const timestamp = this.#now().toISOString();
    const succeeded = result.outcome === 'succeeded';
    return {
      payment: {
        id: randomUUID(),
        status: succeeded ? 'SUCCEEDED' : 'FAILED',
        amountCents: request.amountCents,
        currency: request.currency,
        reference: request.reference,
        method: { type: 'card', brand: result.brand, last4: result.last4 },
        failureCode: succeeded ? null : result.code,
        refundId: null,
        createdAt: timestamp,
        updatedAt: timestamp,
      },
      providerChargeId: succeeded ? result.chargeId : null,
    };
  }
}

/** The provider's keys: one charge per payment key, one refund per payment. */
const providerChargeKey = (idempotencyKey: string) => `charge:${idempotencyKey}`;
const keyOfProviderCharge = (providerKey: string) =>
  providerKey.startsWith('charge:') ? providerKey.slice('charge:'.length) : undefined;

/** A definite answer of this service's own rules (not found, not refundable): nothing more to settle. */
const isDomainAnswer = (error: unknown) => error instanceof ProblemError && error.status < 500;
const providerRefundKey = (paymentId: string) => `refund:${paymentId}`;
