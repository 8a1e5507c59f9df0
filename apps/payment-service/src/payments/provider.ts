import { problems, ProblemError } from '@platform/errors';
import type { Currency } from '@platform/money';

export interface ChargeRequest {
  readonly amountCents: number;
  readonly currency: Currency;
  readonly token: string;
  /** Kept by the provider with the charge (its metadata), so its ledger names what each charge was for. */
  readonly reference: string;
  /** The provider deduplicates on it: the same key never charges twice. */
  readonly idempotencyKey: string;
}

export type ChargeResult =
  | { readonly outcome: 'succeeded'; readonly chargeId: string; readonly brand: string; readonly last4: string }
  | { readonly outcome: 'declined'; readonly code: string; readonly brand: string; readonly last4: string };

export interface RefundRequest {
  readonly chargeId: string;
  readonly amountCents: number;
  readonly idempotencyKey: string;
}

/** A charge as the provider's ledger lists it: what it was for, under which key, and how it ended. */
export interface LedgerCharge {
  readonly idempotencyKey: string;
  readonly result: ChargeResult;
  readonly amountCents: number;
  readonly currency: Currency;
  /** The request's reference; null for charges made before the provider kept it. */
  readonly reference: string | null;
  /** When the provider made it: the ledger is listed in this order. */
  readonly createdAt: string;
}

/** A window of the provider's ledger, oldest first: charges made after `after` (exclusive) up to `until`. */
export interface LedgerWindow {
  readonly after: { readonly createdAt: string; readonly idempotencyKey: string };
  readonly until: string;
  readonly limit: number;
}

/**
 * A payment provider: the one outer edge of this service. The sandbox ships with it; a real
 * provider is one more implementation. Implementations honour `signal` (the call's timeout) and
 * throw ProviderError when the provider answers that it failed (so nothing was done); any other
 * failure (a timeout, a connection lost) leaves the outcome unknown.
 */
export interface PaymentProvider {
  readonly name: string;
  charge(request: ChargeRequest, signal: AbortSignal): Promise<ChargeResult>;
  refund(request: RefundRequest, signal: AbortSignal): Promise<{ readonly refundId: string }>;
  /**
   * What a charge made with this idempotency key came to, or undefined if the provider never
   * charged under it (real card APIs answer this): how a charge left in progress is settled.
   */
  findCharge(idempotencyKey: string, signal: AbortSignal): Promise<ChargeResult | undefined>;
  /** The refund made with this idempotency key, if there is one. */
  findRefund(idempotencyKey: string, signal: AbortSignal): Promise<{ readonly refundId: string } | undefined>;
  /** The provider's ledger by time window, as card APIs list charges: how charges nobody recorded are found. */
  listCharges(window: LedgerWindow, signal: AbortSignal): Promise<readonly LedgerCharge[]>;
}

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
}

/** Whether a failure is the provider's own answer that it did nothing (as opposed to an unknown outcome). */
export const providerRefused = (error: unknown): boolean =>
  error instanceof ProblemError && error.cause instanceof ProviderError;

/**
 * Calls the provider with a deadline. Its refusal becomes a 502 problem (nothing was done); no
 * answer in time becomes `payment-outcome-unknown` (it may have been done: never "not charged").
 */
export async function callProvider<T>(timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await new Promise<T>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      call(signal).then(resolve, reject);
    });
  } catch (error) {
    if (error instanceof ProviderError) {
      throw new ProblemError(problems.badGateway, 'The payment provider refused the request; nothing was done.', {
        cause: error,
      });
    }
    if (signal.aborted) throw outcomeUnknown(`The payment provider did not answer within ${timeoutMs} ms`, error);
    throw error;
  }
}

/** The answer when the provider was called and its outcome is not recorded: the same key gets it once settled. */
export const outcomeUnknown = (why: string, cause: unknown) =>
  new ProblemError(
    problems.paymentOutcomeUnknown,
    `${why}; it may have been done. Retry with the same Idempotency-Key for the settled outcome.`,
    { cause },
  );
