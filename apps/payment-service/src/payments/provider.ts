import { problems, ProblemError } from '@platform/errors';
import type { Currency } from '@platform/money';

export interface ChargeRequest {
  readonly amountCents: number;
  readonly currency: Currency;
  readonly token: string;
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

/**
 * A payment provider: the one outer edge of this service. The sandbox ships with it; a real
 * provider is one more implementation. Implementations honour `signal` (the call's timeout) and
 * throw ProviderError when the provider fails.
 */
export interface PaymentProvider {
  readonly name: string;
  charge(request: ChargeRequest, signal: AbortSignal): Promise<ChargeResult>;
  refund(request: RefundRequest, signal: AbortSignal): Promise<{ readonly refundId: string }>;
  /**
   * What a charge made with this idempotency key came to, or undefined if the provider never
   * charged under it (real card APIs answer this): how a charge left in progress by a crash is settled.
   */
  findCharge(idempotencyKey: string, signal: AbortSignal): Promise<ChargeResult | undefined>;
  /** The refund made with this idempotency key, if there is one. */
  findRefund(idempotencyKey: string, signal: AbortSignal): Promise<{ readonly refundId: string } | undefined>;
}

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
}

/** Calls the provider with a deadline; failure and timeout both become a 502 problem. */
export async function callProvider<T>(timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await new Promise<T>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      call(signal).then(resolve, reject);
    });
  } catch (error) {
    if (signal.aborted) {
      throw new ProblemError(problems.badGateway, `The payment provider did not answer within ${timeoutMs} ms.`, {
        cause: error,
      });
    }
    if (error instanceof ProviderError) {
      throw new ProblemError(problems.badGateway, 'The payment provider failed to process the request.', {
        cause: error,
      });
    }
    throw error;
  }
}
