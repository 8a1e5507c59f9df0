import type { Owner } from '@platform/auth';
import { IdempotencyKey, pageQuery, Uuid } from '@platform/contracts';
import { problems, ProblemError } from '@platform/errors';
import { CardPaymentMethod, type Currency, CurrencySchema } from '@platform/money';
import { type Static, Type } from 'typebox';

export type OrderStatus = 'PENDING' | 'PAID' | 'CANCELLED';
export const ORDER_STATUSES: readonly OrderStatus[] = ['PENDING', 'PAID', 'CANCELLED'];

export interface OrderItem {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

export interface Order {
  readonly id: string;
  readonly userId: string;
  /** The person who created it, for their own user. */
  readonly owner: Owner | null;
  readonly currency: Currency;
  readonly items: readonly OrderItem[];
  readonly totalCents: number;
  readonly status: OrderStatus;
  readonly paymentId: string | null;
  readonly refundId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const OrderItemSchema = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' }),
    quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
    unitPriceCents: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
  },
  { additionalProperties: false },
);

/** The total is the server's to compute: a client-sent `totalCents` is an unknown field. */
export const CreateOrderBody = Type.Object(
  {
    userId: Type.Optional(Uuid({ description: 'The caller’s own user; omitted, the caller’s profile.' })),
    currency: CurrencySchema,
    items: Type.Array(OrderItemSchema, { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);
export type CreateOrderInput = Static<typeof CreateOrderBody>;

export const PayOrderBody = Type.Object(
  {
    paymentMethod: CardPaymentMethod,
  },
  { additionalProperties: false },
);
export type PayOrderInput = Static<typeof PayOrderBody>;

export const IdempotencyKeyHeader = Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) });

export const ListOrdersQuery = pageQuery({
  userId: Type.Optional(Uuid()),
  status: Type.Optional(Type.Unsafe<OrderStatus>({ type: 'string', enum: [...ORDER_STATUSES] })),
});
export type ListOrdersInput = Static<typeof ListOrdersQuery>;

/** The order total in minor units: the sum of quantity times unit price, in integers. */
export function orderTotal(items: readonly OrderItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
}

export const unknownUser = (userId: string) =>
  new ProblemError(problems.unprocessable, `User ${userId} does not exist.`, {
    errors: [{ in: 'body', field: 'userId', message: 'is not a known user' }],
  });

export const noProfile = () =>
  new ProblemError(problems.unprocessable, 'You have no user profile yet: create one with POST /users first.', {
    errors: [{ in: 'body', field: 'userId', message: 'is required: the caller has no user profile' }],
  });

export const orderNotFound = (id: string) => new ProblemError(problems.notFound, `Order ${id} does not exist.`);

/** Paying an order that is not PENDING: already paid, or cancelled. */
export const notPending = (order: Order) =>
  new ProblemError(
    order.status === 'PAID' ? problems.orderAlreadyPaid : problems.orderNotPending,
    `Order ${order.id} is ${order.status}, not PENDING.`,
    { extensions: { orderStatus: order.status } },
  );

export const alreadyCancelled = (order: Order) =>
  new ProblemError(problems.orderAlreadyCancelled, `Order ${order.id} is already cancelled.`, {
    extensions: { orderStatus: order.status },
  });

export const paymentInProgress = (order: Order) =>
  new ProblemError(problems.idempotencyInProgress, `A payment of order ${order.id} is in progress; retry shortly.`);
