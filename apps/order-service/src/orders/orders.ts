import { createHash, randomUUID } from 'node:crypto';
import { insufficientScope, isAdmin, isOwner, ownerOf, type Person, type Principal } from '@platform/auth';
import { problems, ProblemError } from '@platform/errors';
import {
  alreadyCancelled,
  noProfile,
  type CreateOrderInput,
  type ListOrdersInput,
  notPending,
  type Order,
  orderNotFound,
  orderTotal,
  type PayOrderInput,
  paymentInProgress,
  unknownUser,
} from './order';
import type { CallContext, OrderStore, PaymentGateway, StoredOrder, UserDirectory } from './ports';

export interface OrdersOptions {
  /**
   * How long a payment attempt holds an order before another attempt (another key) may take it
   * over. Longer than the longest payment call with its retries.
   */
  readonly paymentAttemptStaleMs: number;
  /**
   * When the reconciler checks an order after a payment attempt or a cancel began: later than an
   * attempt can go stale here, and than payment-service takes to settle a charge it was left with.
   */
  readonly reconcileAfterMs: number;
  /** How long the reconciler keeps looking at an order whose attempt went quiet or was overruled. */
  readonly reconcileWatchMs: number;
  readonly now?: () => Date;
}

/**
 * Orders: create, read, pay, cancel. Plain TypeScript; users and payments are ports, so this
 * code neither knows HTTP nor which service answers. A person orders for their own user; an order
 * is seen and acted on by its owner and administrators, and to anyone else does not exist (404).
 */
export class Orders {
  readonly #now: () => Date;

  constructor(
    private readonly repository: OrderStore,
    private readonly users: UserDirectory,
    private readonly payments: PaymentGateway,
    private readonly options: OrdersOptions,
  ) {
    this.#now = options.now ?? (() => new Date());
  }

  async create(input: CreateOrderInput, caller: Principal, context: CallContext): Promise<Order> {
    const person = personOnly(caller);
    const totalCents = orderTotal(input.items);
    if (totalCents < 1) {
      throw new ProblemError(problems.validation, 'The order total must be at least one minor unit.', {
        errors: [{ in: 'body', field: 'items', message: 'must add up to a total of at least 1' }],
      });
    }
    const owner = ownerOf(person);
    const userId = await this.#usersOwnUser(input.userId, person, context);
    const timestamp = this.#now().toISOString();
    const order: Order = {
      id: randomUUID(),
      userId,
      owner,
      currency: input.currency,
      items: input.items.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents })),
      totalCents,
      status: 'PENDING',
      paymentId: null,
      refundId: null,
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    await this.repository.insert(order);
    return order;
  }

  async get(id: string, caller: Principal): Promise<Order> {
    return (await this.#visible(id, caller)).order;
  }

  /** The caller's own orders; an administrator's list is everyone's (filtered by `userId` if given). */
  list(input: ListOrdersInput, caller: Principal) {
    const owner = isAdmin(caller) ? undefined : ownerOf(personOnly(caller));
    return this.repository.list({ owner, userId: input.userId, status: input.status }, input.limit, input.cursor);
  }

  /** The caller's own user: the one named (if theirs: another person's is as unknown as none) or their profile. */
  async #usersOwnUser(named: string | undefined, caller: Person, context: CallContext): Promise<string> {
    if (named === undefined) {
      const profile = await this.users.profileOf(ownerOf(caller), context);
      if (profile === undefined) throw noProfile();
      return profile;
    }
    // Ids are stored, and so answered, in their canonical lower case, whatever case they came in.
    const userId = named.toLowerCase();
    if (!isOwner(caller, await this.users.ownerOf(userId, context))) throw unknownUser(userId);
    return userId;
  }

  /**
   * Pays a PENDING order once. The payment's idempotency key comes from the order and the
   * client's request (its Idempotency-Key, else the card token), so a retry — also one after this
   * service crashed between the charge and its own write — completes the order with the one
   * existing payment, and a retry of a request that already paid the order answers the paid order.
   */
  async pay(
    id: string,
    input: PayOrderInput,
    clientKey: string | undefined,
    caller: Principal,
    context: CallContext,
  ): Promise<Order> {
    const key = paymentKey(id, clientKey, input.paymentMethod.token);
    const stored = await this.#visible(id, caller);
    if (isPaidBy(stored, key)) return stored.order;
    if (stored.order.status !== 'PENDING') throw notPending(stored.order);

    const claim = await this.#claim(id, key);
    if (claim === undefined) {
      const current = await this.#find(id);
      if (isPaidBy(current, key)) return current.order;
      throw current.order.status === 'PENDING' ? paymentInProgress(current.order) : notPending(current.order);
    }

    const { order } = stored;
    if (claim.previousKey !== null) {
      // An earlier attempt (this key's, cut short, or another's that went quiet) may have charged,
      // and payment-service may have settled it since: that charge pays the order, never a second.
      const paymentId = await this.#succeededPayment(order.id, context);
      if (paymentId !== undefined) return this.#complete(id, key, paymentId, context);
    }
    const outcome = await this.payments.charge(
      {
        amountCents: order.totalCents,
        currency: order.currency,
        reference: order.id,
        token: input.paymentMethod.token,
        idempotencyKey: key,
      },
      context,
    );
    switch (outcome.outcome) {
      case 'paid':
        return this.#complete(id, key, outcome.paymentId, context);
      case 'declined':
        await this.repository.releasePayment(id, key, this.#now().toISOString());
        throw new ProblemError(
          problems.paymentDeclined,
          'The card was declined; the order can be paid with another card.',
          {
            extensions: { orderId: id, paymentId: outcome.paymentId, failureCode: outcome.failureCode },
          },
        );
      case 'key-reused':
        await this.repository.releasePayment(id, key, this.#now().toISOString());
        throw new ProblemError(
          problems.idempotencyKeyReused,
          'This Idempotency-Key was already used to pay with a different card.',
        );
    }
  }

  /**
   * Cancels an order; a paid one is refunded first and keeps its refund id. A PENDING order that
   * a payment attempt held until it went quiet may have been charged meanwhile: that charge is
   * found, completed and refunded, never left behind a cancelled order.
   */
  async cancel(id: string, caller: Principal, context: CallContext): Promise<Order> {
    const stored = await this.#visible(id, caller);
    const { order } = stored;
    switch (order.status) {
      case 'CANCELLED':
        throw alreadyCancelled(order);
      case 'PAID':
        return this.#cancelPaid(id, order.paymentId as string, context);
      case 'PENDING': {
        const now = this.#now();
        // An attempt holds or held the order: only a quiet one may be overruled, after asking for its charge.
        const holder = stored.paymentKey === null ? null : cancelKey(id);
        if (holder !== null && (await this.#claim(id, holder)) !== undefined) {
          const paymentId = await this.#succeededPayment(id, context);
          if (paymentId !== undefined) {
            await this.#complete(id, holder, paymentId, context);
            return this.#cancelPaid(id, paymentId, context);
          }
        }
        if (!(await this.repository.cancel(id, 'PENDING', null, now.toISOString(), this.#staleBefore(now), holder))) {
          const current = await this.#find(id);
          throw current.order.status === 'PENDING' ? paymentInProgress(current.order) : notPending(current.order);
        }
        return (await this.#find(id)).order;
      }
    }
  }

  /** Refunds a paid order's payment and cancels it; the accepted cancel is recorded first, so a crash cannot drop it. */
  async #cancelPaid(id: string, paymentId: string, context: CallContext): Promise<Order> {
    const now = this.#now();
    await this.repository.requestCancel(id, now.toISOString(), this.#reconcileAt(now));
    const { refundId } = await this.payments.refund(paymentId, refundKey(id), context);
    if (!(await this.repository.cancel(id, 'PAID', refundId, this.#now().toISOString(), this.#staleBefore(now)))) {
      const current = await this.#find(id);
      if (current.order.status === 'CANCELLED' && current.order.refundId === refundId) return current.order;
      throw alreadyCancelled(current.order);
    }
    return (await this.#find(id)).order;
  }

  /** Claims the order for the attempt with `key`; the reconciler checks on it later, in case it is cut short. */
  #claim(id: string, key: string) {
    const now = this.#now();
    return this.repository.claimForPayment(id, key, now.toISOString(), this.#staleBefore(now), {
      reconcileAt: this.#reconcileAt(now),
      watchUntil: new Date(now.getTime() + this.options.reconcileWatchMs).toISOString(),
    });
  }

  /**
   * Records the payment on the order held by `key`. If the order moved on meanwhile (a quiet
   * attempt overruled, the order cancelled or paid by another charge), this charge is refunded
   * at once rather than left behind the order.
   */
  async #complete(id: string, key: string, paymentId: string, context: CallContext): Promise<Order> {
    if (await this.repository.markPaid(id, key, paymentId, this.#now().toISOString())) {
      return (await this.#find(id)).order;
    }
    let current = await this.#find(id);
    if (current.order.paymentId === paymentId) {
      // Completed by someone else (a retry, the reconciler, a cancel that then refunded it).
      if (current.order.status === 'PAID') return current.order;
      throw notPending(current.order);
    }
    if (current.order.status === 'PENDING' && (await this.#claim(id, key)) !== undefined) {
      if (await this.repository.markPaid(id, key, paymentId, this.#now().toISOString())) {
        return (await this.#find(id)).order;
      }
      current = await this.#find(id);
    }
    // Held by another live attempt: the reconciler settles whichever charge is left over.
    if (current.order.status === 'PENDING') throw paymentInProgress(current.order);
    await this.payments.refund(paymentId, voidKey(id, paymentId), context);
    throw notPending(current.order);
  }

  async #succeededPayment(reference: string, context: CallContext): Promise<string | undefined> {
    return (await this.payments.paymentsFor(reference, context)).find((p) => p.status === 'SUCCEEDED')?.id;
  }

  /** The order as stored now, if `caller` may see it (its owner or an administrator); to anyone else it does not exist. */
  async #visible(id: string, caller: Principal): Promise<StoredOrder> {
    const stored = await this.#find(id);
    if (!(isOwner(caller, stored.order.owner) || isAdmin(caller))) throw orderNotFound(id);
    return stored;
  }

  /** The order as stored now, for this service's own steps after the caller was checked. */
  async #find(id: string): Promise<StoredOrder> {
    const stored = await this.repository.find(id);
    if (stored === undefined) throw orderNotFound(id);
    return stored;
  }

  #staleBefore(now: Date): string {
    return new Date(now.getTime() - this.options.paymentAttemptStaleMs).toISOString();
  }

  #reconcileAt(now: Date): string {
    return new Date(now.getTime() + this.options.reconcileAfterMs).toISOString();
  }
}

/** Orders are people's: a service has none and places none (403). */
function personOnly(caller: Principal): Person {
  if (caller.kind !== 'person') throw insufficientScope(undefined);
  return caller;
}

/** The idempotency key of a payment attempt: the order plus the client's key, else the token. */
export function paymentKey(orderId: string, clientKey: string | undefined, token: string): string {
  return clientKey !== undefined
    ? `order:${orderId}:key:${createHash('sha256').update(clientKey).digest('hex').slice(0, 32)}`
    : `order:${orderId}:token:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
}

/** The keys of order-service's own calls for an order: they make every retry of them safe. */
export const refundKey = (orderId: string) => `order:${orderId}:refund`;
export const cancelKey = (orderId: string) => `order:${orderId}:cancel`;
/** Refunds a charge that is not (or no longer) the order's payment. */
export const voidKey = (orderId: string, paymentId: string) => `order:${orderId}:void:${paymentId}`;

const isPaidBy = (stored: StoredOrder, key: string) => stored.order.status === 'PAID' && stored.paymentKey === key;
