import { randomUUID } from 'node:crypto';
import type { Queryable } from '@platform/persistence';
import type { Currency } from '@platform/money';
import {
  type ChargeRequest,
  type ChargeResult,
  type LedgerCharge,
  type LedgerWindow,
  type PaymentProvider,
  ProviderError,
  type RefundRequest,
} from './provider';

/** The sandbox's test tokens and what each does (documented in the service's README section). */
export const SANDBOX_TOKENS = Object.freeze({
  tok_visa: { outcome: 'succeeded', brand: 'visa', last4: '4242' },
  tok_mastercard: { outcome: 'succeeded', brand: 'mastercard', last4: '4444' },
  tok_amex: { outcome: 'succeeded', brand: 'amex', last4: '0005' },
  tok_chargeDeclined: { outcome: 'declined', code: 'card_declined', brand: 'visa', last4: '0002' },
  tok_insufficientFunds: { outcome: 'declined', code: 'insufficient_funds', brand: 'visa', last4: '9995' },
  tok_processingError: { outcome: 'error', brand: 'visa', last4: '0119' },
  tok_timeout: { outcome: 'slow', brand: 'visa', last4: '0341' },
  tok_lateAnswer: { outcome: 'late', brand: 'visa', last4: '0077' },
} as const);

/** How long `tok_timeout` and `tok_lateAnswer` take to answer: longer than any sensible provider timeout. */
export const SANDBOX_SLOW_MS = 30_000;

const abortable = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** Waits for `done`, or rejects when `signal` aborts first (the caller's timeout). */
const untilAborted = (done: Promise<void>, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    void done.then(resolve);
  });

/**
 * A provider with fixed outcomes per token and no network, so the service runs and is tested
 * offline. Like a real provider it is idempotent per key and answers lookups by key, from its own
 * ledger (tables `sandbox_charges` and `sandbox_refunds`), which outlives a crash of the service
 * as a real provider's records would. An unknown token is declined (`invalid_token`).
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  /** Charges made (not replays) by this process: what a real provider would bill. */
  chargeCount = 0;
  /** Charges still being answered (`tok_lateAnswer`): a call with the same key waits for the first, as card APIs do. */
  readonly #answering = new Map<string, Promise<void>>();

  constructor(private readonly ledger: Queryable) {}

  async charge(request: ChargeRequest, signal: AbortSignal): Promise<ChargeResult> {
    const answering = this.#answering.get(request.idempotencyKey);
    if (answering !== undefined) await untilAborted(answering, signal);
    const previous = await this.findCharge(request.idempotencyKey);
    if (previous !== undefined) return previous;
    const token = SANDBOX_TOKENS[request.token as keyof typeof SANDBOX_TOKENS];
    let result: ChargeResult;
    switch (token?.outcome) {
      case undefined:
        result = { outcome: 'declined', code: 'invalid_token', brand: 'unknown', last4: '0000' };
        break;
      case 'error':
        throw new ProviderError('sandbox: processing error');
      case 'slow':
        await abortable(SANDBOX_SLOW_MS, signal);
        throw new ProviderError('sandbox: slow token answered late');
      case 'declined':
        result = { outcome: 'declined', code: token.code, brand: token.brand, last4: token.last4 };
        break;
      case 'late':
      case 'succeeded':
        result = {
          outcome: 'succeeded',
          chargeId: `ch_${randomUUID().replace(/-/g, '')}`,
          brand: token.brand,
          last4: token.last4,
        };
        break;
    }
    // Two calls with one key at once: the first to record wins and both answer its result.
    const { rowCount } = await this.ledger.query(
      `INSERT INTO sandbox_charges (idempotency_key, result, created_at, amount_cents, currency, reference)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [
        request.idempotencyKey,
        JSON.stringify(result),
        new Date().toISOString(),
        request.amountCents,
        request.currency,
        request.reference,
      ],
    );
    if (rowCount === 0) return (await this.findCharge(request.idempotencyKey)) as ChargeResult;
    if (result.outcome === 'succeeded') this.chargeCount++;
    if (token?.outcome === 'late') {
      // Charged, and the answer comes long after any caller stopped waiting: the outcome is unknown to it.
      const answered = new Promise<void>((resolve) => setTimeout(resolve, SANDBOX_SLOW_MS).unref());
      this.#answering.set(request.idempotencyKey, answered);
      void answered.then(() => this.#answering.delete(request.idempotencyKey));
      await untilAborted(answered, signal);
    }
    return result;
  }

  async refund(request: RefundRequest): Promise<{ refundId: string }> {
    await this.ledger.query(
      'INSERT INTO sandbox_refunds (idempotency_key, refund_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [request.idempotencyKey, `re_${randomUUID().replace(/-/g, '')}`, new Date().toISOString()],
    );
    return (await this.findRefund(request.idempotencyKey)) as { refundId: string };
  }

  async findCharge(idempotencyKey: string): Promise<ChargeResult | undefined> {
    const { rows } = await this.ledger.query<{ result: string }>(
      'SELECT result FROM sandbox_charges WHERE idempotency_key = $1',
      [idempotencyKey],
    );
    return rows[0] === undefined ? undefined : (JSON.parse(rows[0].result) as ChargeResult);
  }

  async listCharges({ after, until, limit }: LedgerWindow): Promise<LedgerCharge[]> {
    const { rows } = await this.ledger.query<{
      idempotency_key: string;
      result: string;
      amount_cents: string | null;
      currency: string | null;
      reference: string | null;
      created_at: Date;
    }>(
      `SELECT idempotency_key, result, amount_cents, currency, reference, created_at FROM sandbox_charges
       WHERE (created_at, idempotency_key) > ($1, $2) AND created_at <= $3
       ORDER BY created_at, idempotency_key LIMIT $4`,
      [after.createdAt, after.idempotencyKey, until, limit],
    );
    return rows.map((row) => ({
      idempotencyKey: row.idempotency_key,
      result: JSON.parse(row.result) as ChargeResult,
      amountCents: Number(row.amount_cents ?? 0),
      currency: (row.currency ?? 'EUR') as Currency,
      reference: row.amount_cents === null ? null : row.reference,
      createdAt: row.created_at.toISOString(),
    }));
  }

  async findRefund(idempotencyKey: string): Promise<{ refundId: string } | undefined> {
    const { rows } = await this.ledger.query<{ refund_id: string }>(
      'SELECT refund_id FROM sandbox_refunds WHERE idempotency_key = $1',
      [idempotencyKey],
    );
    return rows[0] === undefined ? undefined : { refundId: rows[0].refund_id };
  }
}
