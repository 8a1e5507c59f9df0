import { fastifyRoute } from '@platform/contracts/fastify';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { rejectCardNumbers } from './card-numbers';
import { declined } from './payment';
import type { Payments } from './payments';
import { createPayment, getPayment, listPayments, refundPayment } from './payments.api';

export interface PaymentRoutesOptions {
  readonly payments: Payments;
}

const REPLAYED = 'idempotent-replayed';

/** The `/payments` HTTP API: each operation of the contract, validated and serialized by its schemas. */
export const paymentRoutes: FastifyPluginAsync<PaymentRoutesOptions> = async (app, { payments }) => {
  // Card numbers are refused before validation, logging or storage can see them.
  const refuseCardNumbers = async (request: FastifyRequest) => rejectCardNumbers(request.body);

  app.route(
    fastifyRoute(
      createPayment,
      async ({ body, headers, caller }, _request, reply) => {
        const { outcome, payment, replayed } = await payments.charge(body, headers['idempotency-key'], caller);
        if (outcome === 'declined') throw declined(payment, replayed ? { [REPLAYED]: 'true' } : {});
        if (replayed) reply.header(REPLAYED, 'true');
        return reply.code(201).header('location', `/payments/${payment.id}`).send(payment);
      },
      { preValidation: refuseCardNumbers },
    ),
  );

  app.route(fastifyRoute(listPayments, ({ query, caller }) => payments.list(query, caller)));

  app.route(fastifyRoute(getPayment, ({ params, caller }) => payments.get(params.id, caller)));

  app.route(
    fastifyRoute(
      refundPayment,
      async ({ params, headers, caller }, _request, reply) => {
        const { refund, replayed } = await payments.refund(params.id, headers['idempotency-key'], caller);
        if (replayed) reply.header(REPLAYED, 'true');
        return reply.code(201).send(refund);
      },
      { preValidation: refuseCardNumbers },
    ),
  );
};
