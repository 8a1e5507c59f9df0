import { SCOPES } from '@platform/auth';
import {
  IdParams,
  MONEY_MOVING_RESPONSES,
  operation,
  Page,
  PROBLEM_RESPONSES,
  problemResponses,
  Timestamp,
  Uuid,
} from '@platform/contracts';
import { CurrencySchema } from '@platform/money';
import { Type } from 'typebox';
import { CreatePaymentBody, CreateRefundBody, IdempotencyKeyHeaders, ListPaymentsQuery } from './payment';

export const PaymentSchema = Type.Object(
  {
    id: Uuid(),
    status: Type.Union([Type.Literal('SUCCEEDED'), Type.Literal('FAILED'), Type.Literal('REFUNDED')]),
    amountCents: Type.Integer({ minimum: 1 }),
    currency: CurrencySchema,
    reference: Type.String(),
    method: Type.Object(
      { type: Type.Literal('card'), brand: Type.String(), last4: Type.String({ pattern: '^[0-9]{4}$' }) },
      { additionalProperties: false },
    ),
    failureCode: Type.Union([Type.String(), Type.Null()]),
    refundId: Type.Union([Uuid({ description: 'The refund of a REFUNDED payment.' }), Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false, $id: 'Payment' },
);

export const RefundSchema = Type.Object(
  {
    id: Uuid(),
    paymentId: Uuid(),
    status: Type.Literal('SUCCEEDED'),
    amountCents: Type.Integer({ minimum: 1 }),
    currency: CurrencySchema,
    createdAt: Timestamp,
  },
  { additionalProperties: false, $id: 'Refund' },
);

const tags = ['payments'];
const replayed = {
  'idempotent-replayed': {
    description: '`true` when this is the recorded answer to an earlier request with the same key.',
  },
};

export const createPayment = operation({
  method: 'post',
  path: '/payments',
  operationId: 'createPayment',
  summary: 'Charge a card once per idempotency key (order-service only)',
  tags,
  security: { workloads: true },
  headers: IdempotencyKeyHeaders,
  body: CreatePaymentBody,
  successStatus: 201,
  responses: {
    201: {
      description: 'The SUCCEEDED payment.',
      schema: PaymentSchema,
      headers: { location: { description: 'The payment’s URL.', required: true }, ...replayed },
    },
    402: {
      ...PROBLEM_RESPONSES[402],
      description: 'The card was declined: the FAILED payment is named in the problem.',
      problem: true,
      headers: replayed,
    },
    ...problemResponses(422, 502),
    ...MONEY_MOVING_RESPONSES,
  },
});

export const listPayments = operation({
  method: 'get',
  path: '/payments',
  operationId: 'listPayments',
  summary:
    'List payments in creation order, optionally by reference or changed since a moment (administrators and order-service)',
  tags,
  security: { people: [SCOPES.admin], workloads: true },
  query: ListPaymentsQuery,
  successStatus: 200,
  responses: { 200: { description: 'A page of payments.', schema: Page(PaymentSchema) } },
});

export const getPayment = operation({
  method: 'get',
  path: '/payments/{id}',
  operationId: 'getPayment',
  summary: 'Read a payment (administrators and order-service)',
  tags,
  security: { people: [SCOPES.admin], workloads: true },
  params: IdParams,
  successStatus: 200,
  responses: { 200: { description: 'The payment.', schema: PaymentSchema }, ...problemResponses(404) },
});

export const refundPayment = operation({
  method: 'post',
  path: '/payments/{id}/refunds',
  operationId: 'refundPayment',
  summary: 'Refund the whole payment, once (administrators and order-service)',
  tags,
  security: { people: [SCOPES.admin], workloads: true },
  params: IdParams,
  headers: IdempotencyKeyHeaders,
  body: CreateRefundBody,
  bodyOptional: true,
  successStatus: 201,
  responses: {
    201: { description: 'The refund; the payment is REFUNDED.', schema: RefundSchema, headers: replayed },
    ...problemResponses(404, 422, 502),
    ...MONEY_MOVING_RESPONSES,
  },
});

/** Every operation of payment-service, as its routes are registered and its OpenAPI document lists them. */
export const paymentsApi = [createPayment, listPayments, getPayment, refundPayment];
