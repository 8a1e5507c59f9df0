import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { validator } from '@platform/validation';
import { SchemaPipe } from '@platform/validation/nest';
import { Type } from '@sinclair/typebox';
import type { Request, Response } from 'express';
import {
  CreateOrderBody,
  type CreateOrderInput,
  IdempotencyKeyHeader,
  ListOrdersQuery,
  type ListOrdersInput,
  OrderIdParams,
  PayOrderBody,
  type PayOrderInput,
} from './order';
import { Orders } from './orders';
import type { CallContext } from './ports';

const idempotencyHeader = validator(IdempotencyKeyHeader, 'header');
const context = (req: Request): CallContext => ({ requestId: req.id });
type IdParams = { id: string };

/** The `/orders` HTTP API. Nest DI uses explicit tokens, so the bundle needs no decorator metadata. */
@Controller('orders')
export class OrdersController {
  constructor(@Inject(Orders) private readonly orders: Orders) {}

  @Post()
  async create(
    @Body(SchemaPipe.body(CreateOrderBody)) body: CreateOrderInput,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const order = await this.orders.create(body, context(req));
    res.location(`/orders/${order.id}`);
    return order;
  }

  @Get()
  list(@Query(SchemaPipe.query(ListOrdersQuery)) query: ListOrdersInput) {
    return this.orders.list(query);
  }

  @Get(':id')
  get(@Param(SchemaPipe.path(OrderIdParams)) params: IdParams) {
    return this.orders.get(params.id);
  }

  @Post(':id/pay')
  @HttpCode(200)
  pay(
    @Param(SchemaPipe.path(OrderIdParams)) params: IdParams,
    @Body(SchemaPipe.body(PayOrderBody)) body: PayOrderInput,
    @Headers() headers: Record<string, string | string[] | undefined>,
    @Req() req: Request,
  ) {
    // Nest's @Headers() takes no pipe: the header is validated here.
    const given = headers['idempotency-key'];
    const { 'idempotency-key': key } = idempotencyHeader(given === undefined ? {} : { 'idempotency-key': given });
    return this.orders.pay(params.id, body, key, context(req));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(
    @Param(SchemaPipe.path(OrderIdParams)) params: IdParams,
    @Body(SchemaPipe.optionalBody(Type.Object({}, { additionalProperties: false }))) _body: unknown,
    @Req() req: Request,
  ) {
    return this.orders.cancel(params.id, context(req));
  }
}
