import { callerOf } from '@platform/auth/fastify';
import { operationRoute } from '@platform/contracts/fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { rejectCardNumbers } from './card-numbers';
import { declined } from './payment';
import type { Payments } from './payments';
import { createPayment, getPayment, listPayments, refundPayment } from './payments.api';

export interface PaymentRoutesOptions {
  readonly payments: Payments;
}

const REPLAYED = 'idempotent-replayed';

/**
 * The `/payments` HTTP API: each operation of the contract a route, its request typed by the
 * TypeBox type provider from the contract's schemas, validated and serialized by them, and guarded
 * by its own access hook; the handler reaches its caller through `callerOf`.
 */
export const paymentRoutes: FastifyPluginAsyncTypebox<PaymentRoutesOptions> = async (app, { payments }) => {
  // Card numbers are refused before validation, logging or storage can see them.
  const refuseCardNumbers = async (request: FastifyRequest) => rejectCardNumbers(request.body);

  app.route({
    ...operationRoute(createPayment, { preValidation: refuseCardNumbers }),
    handler: async (request, reply) => {
      const { outcome, payment, replayed } = await payments.charge(
        request.body,
        request.headers['idempotency-key'],
        callerOf(request),
      );
      if (outcome === 'declined') throw declined(payment, replayed ? { [REPLAYED]: 'true' } : {});
      if (replayed) reply.header(REPLAYED, 'true');
      return reply.code(201).header('location', `/payments/${payment.id}`).send(payment);
    },
  });

  app.route({
    ...operationRoute(listPayments),
    handler: (request) => payments.list(request.query, callerOf(request)),
  });

  app.route({
    ...operationRoute(getPayment),
    handler: (request) => payments.get(request.params.id, callerOf(request)),
  });

  app.route({
    ...operationRoute(refundPayment, { preValidation: refuseCardNumbers }),
    handler: async (request, reply) => {
      const { refund, replayed } = await payments.refund(
        request.params.id,
        request.headers['idempotency-key'],
        callerOf(request),
      );
      if (replayed) reply.header(REPLAYED, 'true');
      return reply.code(201).send(refund);
    },
  });
};
