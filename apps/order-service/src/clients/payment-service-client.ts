import type { TokenFile } from '@platform/auth';
import { problems, ProblemError, problemType } from '@platform/errors';
import type { HttpClient, HttpResponse } from '@platform/http-client';
import type {
  CallContext,
  ChargeOutcome,
  ChargeRequest,
  PaymentChange,
  PaymentGateway,
  PaymentRecord,
} from '../orders/ports';
import { callAsWorkload, dependencyUnavailable } from './unavailable';

interface ProblemBody {
  type?: string;
  paymentId?: string;
  failureCode?: string;
}

const IN_PROGRESS = problemType(problems.idempotencyInProgress);
const PAYMENT_IN_PROGRESS = problemType(problems.paymentInProgress);
const OUTCOME_UNKNOWN = problemType(problems.paymentOutcomeUnknown);
const NOT_REFUNDABLE = problemType(problems.paymentNotRefundable);

/**
 * Payments over HTTP on payment-service, as order-service's workload (its own token). Every write
 * carries an idempotency key, so every call is safely retried (on 503/504, and on 409 while the
 * same key is still in progress there).
 */
export class PaymentServiceClient implements PaymentGateway {
  constructor(
    private readonly http: HttpClient,
    private readonly identity: TokenFile,
  ) {}

  async charge(request: ChargeRequest, context: CallContext): Promise<ChargeOutcome> {
    const res = await this.#call<{ id?: string } & ProblemBody>(context, {
      method: 'POST',
      path: '/payments',
      route: '/payments',
      key: request.idempotencyKey,
      body: {
        amountCents: request.amountCents,
        currency: request.currency,
        reference: request.reference,
        method: { type: 'card', token: request.token },
      },
    });
    switch (res.status) {
      case 201:
        return { outcome: 'paid', paymentId: String(res.body.id) };
      case 402:
        return {
          outcome: 'declined',
          paymentId: res.body.paymentId ?? null,
          failureCode: res.body.failureCode ?? null,
        };
      case 422:
        return { outcome: 'key-reused' };
      default:
        throw this.#unexpected(res);
    }
  }

  async refund(paymentId: string, idempotencyKey: string, context: CallContext): Promise<{ refundId: string }> {
    const res = await this.#call<{ id?: string } & ProblemBody>(context, {
      method: 'POST',
      path: `/payments/${encodeURIComponent(paymentId)}/refunds`,
      route: '/payments/:id/refunds',
      key: idempotencyKey,
    });
    if (res.status === 201) return { refundId: String(res.body.id) };
    // Matched by its type, never by status or text: another 409 (a refund still in progress) is not this.
    if (res.status === 409 && res.body.type === NOT_REFUNDABLE) {
      throw new ProblemError(problems.paymentNotRefundable, `Payment ${paymentId} cannot be refunded any more.`);
    }
    throw this.#unexpected(res);
  }

  async paymentsChangedAfter(
    after: string,
    limit: number,
    cursor: string | null,
    context: CallContext,
  ): Promise<{ items: PaymentChange[]; nextCursor: string | null }> {
    const query = new URLSearchParams({
      updatedAfter: after,
      limit: String(limit),
      ...(cursor === null ? {} : { cursor }),
    });
    const res = await this.#call<{ items: PaymentChange[]; nextCursor: string | null }>(context, {
      method: 'GET',
      path: `/payments?${query}`,
      route: '/payments',
    });
    if (res.status !== 200) throw this.#unexpected(res);
    return {
      items: res.body.items.map(({ id, status, refundId, reference, updatedAt }) => ({
        id,
        status,
        refundId,
        reference,
        updatedAt,
      })),
      nextCursor: res.body.nextCursor,
    };
  }

  async paymentsFor(reference: string, context: CallContext): Promise<PaymentRecord[]> {
    const payments: PaymentRecord[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ reference, limit: '100', ...(cursor === null ? {} : { cursor }) });
      const res: HttpResponse<{ items: PaymentRecord[]; nextCursor: string | null }> = await this.#call(context, {
        method: 'GET',
        path: `/payments?${query}`,
        route: '/payments',
      });
      if (res.status !== 200) throw this.#unexpected(res);
      payments.push(...res.body.items.map(({ id, status, refundId }) => ({ id, status, refundId })));
      cursor = res.body.nextCursor;
    } while (cursor !== null);
    return payments;
  }

  #call<T>(
    context: CallContext,
    call: { method: 'GET' | 'POST'; path: string; route: string; key?: string; body?: unknown },
  ): Promise<HttpResponse<T>> {
    return callAsWorkload<T>(this.http, this.identity, context, {
      method: call.method,
      path: call.path,
      route: call.route,
      body: call.body,
      headers: call.key === undefined ? {} : { 'idempotency-key': call.key },
      idempotent: true,
      retryStatuses: [409, 503, 504],
    });
  }

  /**
   * Answers this client has no case for: in progress, an outcome not known yet, the provider's
   * refusal, an outage, or a bug (500). Only the provider's refusal says nothing was charged.
   */
  #unexpected(res: HttpResponse<unknown>): Error {
    const body = (res.body ?? {}) as ProblemBody;
    if (res.status === 409 && body.type === IN_PROGRESS) {
      return new ProblemError(problems.idempotencyInProgress, 'This payment is still being processed; retry shortly.');
    }
    if (res.status === 409 && body.type === PAYMENT_IN_PROGRESS) {
      return new ProblemError(
        problems.paymentInProgress,
        'An earlier payment attempt of this order is still being settled with the provider; retry shortly.',
      );
    }
    if (res.status === 503 && body.type === OUTCOME_UNKNOWN) {
      return new ProblemError(
        problems.paymentOutcomeUnknown,
        'The card was sent to the payment provider, but the outcome is not known yet: it may have been charged. Retry with the same Idempotency-Key for the outcome.',
      );
    }
    if (res.status === 502) {
      return new ProblemError(
        problems.badGateway,
        'The payment provider refused the request; the order was not charged and can be paid again.',
      );
    }
    if (res.status >= 500)
      return dependencyUnavailable(this.http.peer, new Error(`payment-service answered ${res.status}`));
    return new Error(
      `payment-service answered ${res.status} (${body.type ?? 'no problem type'}), which this client does not expect`,
    );
  }
}
