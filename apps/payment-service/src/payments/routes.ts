import { problems, ProblemError, renderProblem } from '@platform/errors';
import { type IdempotencyStore, type Queryable, requestFingerprint, type StoredResponse } from '@platform/persistence';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { validator } from '@platform/validation';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { rejectCardNumbers } from './card-numbers';
import {
  CreatePaymentBody,
  CreateRefundBody,
  declined,
  IdempotencyKeyHeaders,
  ListPaymentsQuery,
  type Payment,
  PaymentIdParams,
} from './payment';
import type { Payments } from './payments';

export interface PaymentRoutesOptions {
  readonly payments: Payments;
  readonly idempotency: IdempotencyStore;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const refundBody = validator(CreateRefundBody);

const sendStored = (reply: FastifyReply, response: StoredResponse, replayed: boolean) => {
  reply.code(response.status).headers(response.headers);
  if (replayed) reply.header('idempotent-replayed', 'true');
  return reply.send(response.body);
};

/** A charge's response: 201 with the payment, or the 402 problem of a declined card (with its payment id). */
function chargeResponse(request: FastifyRequest, payment: Payment): StoredResponse {
  if (payment.status === 'FAILED') {
    const problem = renderProblem(declined(payment), request.url, String(request.id));
    return { status: problem.status, headers: { ...problem.headers }, body: JSON.stringify(problem.body) };
  }
  return {
    status: 201,
    headers: { 'content-type': JSON_TYPE, location: `/payments/${payment.id}` },
    body: JSON.stringify(payment),
  };
}

/**
 * Runs a write under its Idempotency-Key: a completed key replays its first response exactly
 * (with `Idempotent-Replayed: true`); a key still in progress is 409; a key reused with another
 * request is 422. The response is recorded in the transaction that stores the write's outcome; a
 * failure that stored nothing gives the key back so a retry runs again.
 */
async function idempotent(
  store: IdempotencyStore,
  request: FastifyRequest,
  reply: FastifyReply,
  scope: string,
  fingerprint: string,
  run: (record: (tx: Queryable, response: StoredResponse) => Promise<StoredResponse>) => Promise<StoredResponse>,
) {
  const key = (request.headers as { 'idempotency-key': string })['idempotency-key'];
  const start = await store.begin(scope, key, fingerprint);
  switch (start.state) {
    case 'replay':
      return sendStored(reply, start.response, true);
    case 'in-progress':
      throw new ProblemError(
        problems.idempotencyInProgress,
        'A request with this Idempotency-Key is still being processed; retry shortly.',
        {
          headers: { 'retry-after': '1' },
        },
      );
    case 'mismatch':
      throw new ProblemError(
        problems.idempotencyKeyReused,
        'This Idempotency-Key was already used with a different request.',
      );
    case 'started':
      break;
  }
  try {
    const response = await run(async (tx, stored) => {
      await store.complete(tx, scope, key, stored);
      return stored;
    });
    return sendStored(reply, response, false);
  } catch (error) {
    await store.release(scope, key).catch(() => undefined);
    throw error;
  }
}

/** The `/payments` HTTP API, validated by Fastify route schemas. */
export const paymentRoutes: FastifyPluginAsyncTypebox<PaymentRoutesOptions> = async (
  app,
  { payments, idempotency },
) => {
  // Card numbers are refused before validation, logging or storage can see them.
  const refuseCardNumbers = async (request: FastifyRequest) => rejectCardNumbers(request.body);

  app.post(
    '/payments',
    { schema: { headers: IdempotencyKeyHeaders, body: CreatePaymentBody }, preValidation: refuseCardNumbers },
    (request, reply) =>
      idempotent(idempotency, request, reply, 'payments', requestFingerprint(request.body), (record) =>
        payments.charge(request.body, request.headers['idempotency-key'], (tx, payment) =>
          record(tx, chargeResponse(request, payment)),
        ),
      ),
  );

  app.get('/payments', { schema: { querystring: ListPaymentsQuery } }, (request) => payments.list(request.query));

  app.get('/payments/:id', { schema: { params: PaymentIdParams } }, (request) => payments.get(request.params.id));

  app.post(
    '/payments/:id/refunds',
    { schema: { headers: IdempotencyKeyHeaders, params: PaymentIdParams }, preValidation: refuseCardNumbers },
    (request, reply) => {
      // Fastify validates an absent body against the schema; here "no body" is allowed.
      if (request.body !== undefined) refundBody(request.body);
      return idempotent(
        idempotency,
        request,
        reply,
        'refunds',
        requestFingerprint(request.params.id, request.body ?? {}),
        (record) =>
          payments.refund(request.params.id, (tx, refund) =>
            record(tx, { status: 201, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(refund) }),
          ),
      );
    },
  );
};
