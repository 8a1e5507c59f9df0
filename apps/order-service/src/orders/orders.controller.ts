import { Controller, Inject, Res } from '@nestjs/common';
import { Input, Route } from '@platform/contracts/nest';
import type { Response } from 'express';
import { Orders } from './orders';
import { cancelOrder, createOrder, getOrder, listOrders, payOrder } from './orders.api';
import type { CallContext as Context } from './ports';
import { CallContext } from './request.decorators';

/** The `/orders` HTTP API: each route is an operation of the contract, its input validated by it. */
@Controller()
export class OrdersController {
  constructor(@Inject(Orders) private readonly orders: Orders) {}

  @Route(createOrder)
  async create(
    @Input() { body, caller }: Input<typeof createOrder>,
    @CallContext() context: Context,
    @Res({ passthrough: true }) res: Response,
  ) {
    const order = await this.orders.create(body, caller, context);
    res.location(`/orders/${order.id}`);
    return order;
  }

  @Route(listOrders)
  list(@Input() { query, caller }: Input<typeof listOrders>) {
    return this.orders.list(query, caller);
  }

  @Route(getOrder)
  get(@Input() { params, caller }: Input<typeof getOrder>) {
    return this.orders.get(params.id, caller);
  }

  @Route(payOrder)
  pay(@Input() { params, body, headers, caller }: Input<typeof payOrder>, @CallContext() context: Context) {
    return this.orders.pay(params.id, body, headers['idempotency-key'], caller, context);
  }

  @Route(cancelOrder)
  cancel(@Input() { params, caller }: Input<typeof cancelOrder>, @CallContext() context: Context) {
    return this.orders.cancel(params.id, caller, context);
  }
}
