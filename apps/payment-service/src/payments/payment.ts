import { problems, ProblemError } from '@platform/errors';
import { type Currency, CurrencySchema, MAX_AMOUNT_MINOR } from '@platform/money';
import { type Static, Type } from '@sinclair/typebox';

export type PaymentStatus = 'SUCCEEDED' | 'FAILED' | 'REFUNDED';

export interface Payment {
  readonly id: string;
  readonly status: PaymentStatus;
  readonly amountCents: number;
  readonly currency: Currency;
  readonly reference: string;
  readonly method: { readonly type: 'card'; readonly brand: string; readonly last4: string };
  readonly failureCode: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Refund {
  readonly id: string;
  readonly paymentId: string;
  readonly status: 'SUCCEEDED';
  readonly amountCents: number;
  readonly currency: Currency;
  readonly createdAt: string;
}

/** Printable text with no control characters. */
const PRINTABLE = '^[^\\u0000-\\u001f\\u007f]+$';

export const CreatePaymentBody = Type.Object(
  {
    amountCents: Type.Integer({ minimum: 1, maximum: MAX_AMOUNT_MINOR }),
    currency: CurrencySchema,
    reference: Type.String({ minLength: 1, maxLength: 255, pattern: PRINTABLE }),
    method: Type.Object(
      {
        type: Type.Literal('card'),
        token: Type.String({ minLength: 5, maxLength: 128, pattern: '^tok_[A-Za-z0-9_]+$' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type CreatePaymentInput = Static<typeof CreatePaymentBody>;

/** A refund is always of the whole payment; the body may be absent or an empty object. */
export const CreateRefundBody = Type.Object({}, { additionalProperties: false });

export const IdempotencyKeyHeaders = Type.Object({
  'idempotency-key': Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\u0020-\\u007e]+$' }),
});

export const PaymentIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

export const ListPaymentsQuery = Type.Object(
  {
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type ListPaymentsInput = Static<typeof ListPaymentsQuery>;

export const paymentNotFound = (id: string) => new ProblemError(problems.notFound, `Payment ${id} does not exist.`);

export const notRefundable = (payment: Payment) =>
  new ProblemError(
    problems.conflict,
    payment.status === 'REFUNDED'
      ? `Payment ${payment.id} is already refunded.`
      : `Payment ${payment.id} failed; there is nothing to refund.`,
    { extensions: { paymentStatus: payment.status } },
  );

export const declined = (payment: Payment) =>
  new ProblemError(problems.paymentDeclined, `The card was declined (${payment.failureCode ?? 'declined'}).`, {
    extensions: { paymentId: payment.id, failureCode: payment.failureCode },
  });
