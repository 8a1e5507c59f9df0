import { Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { Checkpoints, type Database } from '@platform/persistence';
import type { ServiceRuntime } from '@platform/runtime';
import { SERVICE_RUNTIME } from '@platform/runtime/nest';
import { PaymentServiceClient } from '../clients/payment-service-client';
import { UserServiceClient } from '../clients/user-service-client';
import { DATABASE, ORDER_SERVICE_CONFIG, type OrderServiceSettings } from '../settings';
import { OrderRepository } from './order-repository';
import { Orders } from './orders';
import { OrdersController } from './orders.controller';
import { Reconciler } from './reconciler';

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
      ) => new Orders(repository, users, payments, settings),
      inject: [OrderRepository, UserServiceClient, PaymentServiceClient, ORDER_SERVICE_CONFIG],
    },
    {
      provide: Reconciler,
      useFactory: (
        repository: OrderRepository,
        payments: PaymentServiceClient,
        db: Database,
        settings: OrderServiceSettings,
      ) => new Reconciler(repository, payments, new Checkpoints(db), settings),
      inject: [OrderRepository, PaymentServiceClient, DATABASE, ORDER_SERVICE_CONFIG],
    },
  ],
})
export class OrdersModule implements OnApplicationBootstrap {
  constructor(
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(Reconciler) private readonly reconciler: Reconciler,
    @Inject(ORDER_SERVICE_CONFIG) private readonly settings: OrderServiceSettings,
  ) {}

  /** The reconciler runs in the background of every replica; they share the work through leases. */
  onApplicationBootstrap(): void {
    this.runtime.every('reconcile orders', this.settings.reconcileIntervalMs, (report) =>
      this.reconciler.reconcile(report),
    );
  }
}
