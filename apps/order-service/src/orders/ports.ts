import type { Owner } from '@platform/auth';
import type { Currency } from '@platform/money';

/**
 * What the order service needs to know about users (user-service, over HTTP, as order-service's
 * workload). Throws a 503 problem when it cannot be known now.
 */
export interface UserDirectory {
  /** Whose the user is (null: nobody's), or undefined when there is no such user. */
  ownerOf(userId: string, context: CallContext): Promise<Owner | null | undefined>;
  /** The id of the person's own user profile, if they have one. */
  profileOf(owner: Owner, context: CallContext): Promise<string | undefined>;
}

export interface ChargeRequest {
  readonly amountCents: number;
  readonly currency: Currency;
  readonly reference: string;
  readonly token: string;
  /** The same key always means the same charge: a retry never charges twice. */
  readonly idempotencyKey: string;
}

export type ChargeOutcome =
  | { readonly outcome: 'paid'; readonly paymentId: string }
  | { readonly outcome: 'declined'; readonly paymentId: string | null; readonly failureCode: string | null }
  | { readonly outcome: 'key-reused' };

/** A payment as payment-service keeps it: what reconciling an order against its payments needs. */
export interface PaymentRecord {
  readonly id: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'REFUNDED';
  readonly refundId: string | null;
}

/** A payment that changed (charged, refunded, or recorded by a repair), with what it was for. */
export interface PaymentChange extends PaymentRecord {
  readonly reference: string;
  readonly updatedAt: string;
}

/** Charging and refunding (payment-service, over HTTP). Unreachable means a 503 problem. */
export interface PaymentGateway {
  charge(request: ChargeRequest, context: CallContext): Promise<ChargeOutcome>;
  refund(paymentId: string, idempotencyKey: string, context: CallContext): Promise<{ readonly refundId: string }>;
  /** Every payment with this reference (an order id), oldest first. */
  paymentsFor(reference: string, context: CallContext): Promise<readonly PaymentRecord[]>;
  /**
   * The payments changed after `after` (at most `limit` of them; `cursor` pages on): how changes
   * made behind an order's back (an administrator's refund, a charge recorded by a repair) reach it.
   */
  paymentsChangedAfter(
    after: string,
    limit: number,
    cursor: string | null,
    context: CallContext,
  ): Promise<{ readonly items: readonly PaymentChange[]; readonly nextCursor: string | null }>;
}

/** What travels with every outgoing call: the caller's request id. */
export interface CallContext {
  readonly requestId: string;
}
