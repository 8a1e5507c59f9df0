import { SCOPES } from '@platform/auth';
import {
  IdParams,
  MONEY_MOVING_RESPONSES,
  operation,
  Owner,
  Page,
  problemResponses,
  Timestamp,
  Uuid,
} from '@platform/contracts';
import { CurrencySchema } from '@platform/money';
import { Type } from 'typebox';
import { CreateOrderBody, IdempotencyKeyHeader, ListOrdersQuery, OrderItemSchema, PayOrderBody } from './order';

export const OrderSchema = Type.Object(
  {
    id: Uuid(),
    userId: Uuid(),
    owner: Owner,
    currency: CurrencySchema,
    items: Type.Array(OrderItemSchema),
    totalCents: Type.Integer({ minimum: 1 }),
    status: Type.Union([Type.Literal('PENDING'), Type.Literal('PAID'), Type.Literal('CANCELLED')]),
    paymentId: Type.Union([Uuid(), Type.Null()]),
    refundId: Type.Union([Uuid(), Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false, $id: 'Order' },
);

const tags = ['orders'];

export const createOrder = operation({
  method: 'post',
  path: '/orders',
  operationId: 'createOrder',
  summary: 'Create an order for the caller’s own user',
  description:
    '`userId` must be the caller’s own user (another person’s is 422, as an unknown one); omitted, it is the caller’s profile.',
  tags,
  security: { people: [SCOPES.ordersWrite] },
  body: CreateOrderBody,
  successStatus: 201,
  responses: {
    201: {
      description: 'The PENDING order, its total computed by the service.',
      schema: OrderSchema,
      headers: { location: { description: 'The order’s URL.', required: true } },
    },
    ...problemResponses(422),
  },
});

export const listOrders = operation({
  method: 'get',
  path: '/orders',
  operationId: 'listOrders',
  summary: 'List the caller’s orders in creation order (an administrator’s: everyone’s)',
  tags,
  security: { people: [SCOPES.ordersRead] },
  query: ListOrdersQuery,
  successStatus: 200,
  responses: { 200: { description: 'A page of orders.', schema: Page(OrderSchema) } },
});

export const getOrder = operation({
  method: 'get',
  path: '/orders/{id}',
  operationId: 'getOrder',
  summary: 'Read an order (its owner or an administrator)',
  tags,
  security: { people: [SCOPES.ordersRead] },
  params: IdParams,
  successStatus: 200,
  responses: { 200: { description: 'The order.', schema: OrderSchema }, ...problemResponses(404) },
});

export const payOrder = operation({
  method: 'post',
  path: '/orders/{id}/pay',
  operationId: 'payOrder',
  summary: 'Pay a PENDING order, once',
  description:
    'The payment’s idempotency key comes from the order and the `Idempotency-Key` (else the card token): a retried request completes the order with the one charge. Its owner or an administrator.',
  tags,
  security: { people: [SCOPES.ordersWrite] },
  params: IdParams,
  headers: IdempotencyKeyHeader,
  body: PayOrderBody,
  successStatus: 200,
  responses: {
    200: { description: 'The PAID order.', schema: OrderSchema },
    ...problemResponses(402, 404, 422, 502),
    ...MONEY_MOVING_RESPONSES,
  },
});

export const cancelOrder = operation({
  method: 'post',
  path: '/orders/{id}/cancel',
  operationId: 'cancelOrder',
  summary: 'Cancel an order; a PAID one is refunded first (its owner or an administrator)',
  tags,
  security: { people: [SCOPES.ordersWrite] },
  params: IdParams,
  body: Type.Object({}, { additionalProperties: false }),
  bodyOptional: true,
  successStatus: 200,
  responses: {
    200: { description: 'The CANCELLED order.', schema: OrderSchema },
    ...problemResponses(404, 502),
    ...MONEY_MOVING_RESPONSES,
  },
});

/** Every operation of order-service, as its routes are registered and its OpenAPI document lists them. */
export const ordersApi = [createOrder, listOrders, getOrder, payOrder, cancelOrder];
