import { IdempotencyKey, pageQuery, PrintableText } from '@platform/contracts';
import { problems, ProblemError } from '@platform/errors';
import { CardPaymentMethod, type Currency, CurrencySchema, MAX_AMOUNT_MINOR } from '@platform/money';
import { type Static, Type } from 'typebox';

export type PaymentStatus = 'SUCCEEDED' | 'FAILED' | 'REFUNDED';

export interface Payment {
  readonly id: string;
  readonly status: PaymentStatus;
  readonly amountCents: number;
  readonly currency: Currency;
  readonly reference: string;
  readonly method: { readonly type: 'card'; readonly brand: string; readonly last4: string };
  readonly failureCode: string | null;
  /** The refund of a REFUNDED payment. */
  readonly refundId: string | null;
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

export const CreatePaymentBody = Type.Object(
  {
    amountCents: Type.Integer({ minimum: 1, maximum: MAX_AMOUNT_MINOR }),
    currency: CurrencySchema,
    reference: PrintableText({
      maxLength: 255,
      description: 'The caller’s reference (an order id): what payments are looked up by.',
    }),
    method: CardPaymentMethod,
  },
  { additionalProperties: false },
);
export type CreatePaymentInput = Static<typeof CreatePaymentBody>;

/** A refund is always of the whole payment; the body may be absent or an empty object. */
export const CreateRefundBody = Type.Object({}, { additionalProperties: false });

export const IdempotencyKeyHeaders = Type.Object({ 'idempotency-key': IdempotencyKey });

export const ListPaymentsQuery = pageQuery({
  reference: Type.Optional(PrintableText({ maxLength: 255, description: 'Only payments with this reference.' })),
  updatedAfter: Type.Optional(
    Type.String({
      format: 'date-time',
      examples: ['2026-11-27T12:00:00.000Z'],
      description:
        'Only payments changed after this moment (refunded, or recorded by a repair): how order-service’s reconciler learns what changed behind its orders.',
    }),
  ),
});
export type ListPaymentsInput = Static<typeof ListPaymentsQuery>;

export const paymentNotFound = (id: string) => new ProblemError(problems.notFound, `Payment ${id} does not exist.`);

export const notRefundable = (payment: Payment) =>
  new ProblemError(
    problems.paymentNotRefundable,
    payment.status === 'REFUNDED'
      ? `Payment ${payment.id} is already refunded.`
      : `Payment ${payment.id} failed; there is nothing to refund.`,
    { extensions: { paymentStatus: payment.status } },
  );

/** Another charge of the same reference has an outcome not known yet: this one waits until it is settled. */
export const paymentInProgress = (reference: string) =>
  new ProblemError(
    problems.paymentInProgress,
    `Another charge of reference ${reference} is still being settled with the provider; retry shortly.`,
  );

/** A declined card's 402 problem, naming its FAILED payment; `headers` say whether it is a replay. */
export const declined = (payment: Payment, headers: Readonly<Record<string, string>> = {}) =>
  new ProblemError(problems.paymentDeclined, `The card was declined (${payment.failureCode ?? 'declined'}).`, {
    extensions: { paymentId: payment.id, failureCode: payment.failureCode },
    headers,
  });
