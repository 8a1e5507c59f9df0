import type { Owner } from '@platform/auth';
import type { Currency } from '@platform/money';
import type { Order, OrderStatus } from './order';

/** An order as stored, with the payment attempt that holds or paid it and whether a cancel was accepted. */
export interface StoredOrder {
  readonly order: Order;
  readonly paymentKey: string | null;
  /** When the attempt holding the order claimed it. */
  readonly paymentKeyAt: string | null;
  readonly cancelRequested: boolean;
  /** Until when the reconciler keeps looking (an attempt went quiet or was overruled). */
  readonly watchUntil: string | null;
}

/**
 * Where orders are kept (PostgreSQL: `OrderRepository`). Every change is conditional on the state
 * it expects, so concurrent requests and the reconciler never overwrite each other: a method that
 * changes nothing says so (false, undefined) rather than failing. Times are ISO 8601 strings.
 */
export interface OrderStore {
  /** The order and its items, together. */
  insert(order: Order): Promise<void>;
  find(id: string): Promise<StoredOrder | undefined>;
  list(
    filter: { owner?: Owner; userId?: string; status?: OrderStatus },
    limit: number,
    cursor: string | undefined,
  ): Promise<{ items: Order[]; nextCursor: string | null }>;
  /**
   * Claims a PENDING order for the attempt with `key` when it is free, held by `key`, or held by an
   * attempt that claimed it before `staleBefore`; gives the key it took over (null: none), or
   * undefined when it could not. Schedules a look at `reconcileAt`; overruling another key watches
   * the order until `watchUntil`.
   */
  claimForPayment(
    id: string,
    key: string,
    now: string,
    staleBefore: string,
    schedule: { reconcileAt: string; watchUntil: string },
  ): Promise<{ previousKey: string | null } | undefined>;
  /** Frees a PENDING order held by `key`; off the schedule unless watched. */
  releasePayment(id: string, key: string, now: string): Promise<void>;
  /** PENDING to PAID for the attempt holding it (`finished`, the default: off the schedule unless watched). */
  markPaid(id: string, key: string, paymentId: string, now: string, options?: { finished?: boolean }): Promise<boolean>;
  /** `from` to CANCELLED unless a live attempt other than `holder`'s holds a PENDING order. */
  cancel(
    id: string,
    from: OrderStatus,
    refundId: string | null,
    now: string,
    staleBefore: string,
    holder?: string | null,
  ): Promise<boolean>;
  /** Records an accepted cancel of a PAID order, and when to check it finished. */
  requestCancel(id: string, now: string, reconcileAt: string): Promise<void>;
  /** Keeps the order watched until at least `until`. */
  watch(id: string, until: string): Promise<void>;
  /** A refunded charge behind an order cancelled unpaid: the order shows both. */
  recordRefundedCharge(id: string, paymentId: string, refundId: string, now: string): Promise<void>;
  /** Schedules now each order a changed payment disagrees with; returns how many. */
  scheduleChanged(changes: readonly PaymentChange[], now: string): Promise<number>;
  /** Leases up to `limit` due orders until `leaseUntil`; their ids. */
  leaseDue(now: string, leaseUntil: string, limit: number): Promise<string[]>;
  /** Ends a lease with the next look (null: none), unless the order was scheduled anew meanwhile. */
  endLease(id: string, leaseUntil: string, next: string | null): Promise<void>;
}

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
