import { type DynamicModule, Module } from '@nestjs/common';
import type { OrderService } from '../compose';
import { Orders } from './orders';
import { OrdersController } from './orders.controller';

/** Orders: the controller of `/orders`, on the domain the service's composition built. */
@Module({})
export class OrdersModule {
  static register({ orders }: Pick<OrderService, 'orders'>): DynamicModule {
    return {
      module: OrdersModule,
      controllers: [OrdersController],
      providers: [{ provide: Orders, useValue: orders }],
    };
  }
}
