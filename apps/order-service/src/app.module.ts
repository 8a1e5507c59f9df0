import { type DynamicModule, Module } from '@nestjs/common';
import type { Authenticator } from '@platform/auth';
import type { ServiceRuntime } from '@platform/runtime';
import { PlatformModule } from '@platform/runtime/nest';
import { api } from './api';
import type { OrderService } from './compose';
import { OrdersModule } from './orders/orders.module';

export interface AppDependencies {
  readonly runtime: ServiceRuntime;
  readonly auth: Authenticator;
  readonly service: OrderService;
}

/** order-service: the platform (health, metrics, problem details, `/openapi.json`) and the orders. */
@Module({})
export class AppModule {
  static register({ runtime, auth, service }: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ runtime, api, auth, bodyLimitBytes: 100 * 1024 }),
        OrdersModule.register(service),
      ],
    };
  }
}
