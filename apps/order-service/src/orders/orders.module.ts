import { Module } from '@nestjs/common';
import type { Database } from '@platform/persistence';
import { PaymentServiceClient } from '../clients/payment-service-client';
import { UserServiceClient } from '../clients/user-service-client';
import { DATABASE, ORDER_SERVICE_CONFIG, type OrderServiceSettings } from '../settings';
import { OrderRepository } from './order-repository';
import { Orders } from './orders';
import { OrdersController } from './orders.controller';

/**
 * Orders: the controller of `/orders`, and the domain built by Nest from its ports (injected by
 * token, so the bundle needs no decorator metadata).
 */
@Module({
  controllers: [OrdersController],
  providers: [
    { provide: OrderRepository, useFactory: (db: Database) => new OrderRepository(db), inject: [DATABASE] },
    {
      provide: Orders,
      useFactory: (
        repository: OrderRepository,
        users: UserServiceClient,
        payments: PaymentServiceClient,
        settings: OrderServiceSettings,
      ) => new Orders(repository, users, payments, { paymentAttemptStaleMs: settings.paymentAttemptStaleMs }),
      inject: [OrderRepository, UserServiceClient, PaymentServiceClient, ORDER_SERVICE_CONFIG],
    },
  ],
})
export class OrdersModule {}
