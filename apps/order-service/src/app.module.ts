import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Authenticator } from '@platform/auth';
import type { Database } from '@platform/persistence';
import type { ServiceRuntime } from '@platform/runtime';
import { PlatformModule } from '@platform/runtime/nest';
import { api } from './api';
import { ClientsModule } from './clients/clients.module';
import { OrdersModule } from './orders/orders.module';
import { DATABASE, ORDER_SERVICE_CONFIG, type OrderServiceSettings } from './settings';

export interface AppDependencies {
  readonly runtime: ServiceRuntime;
  readonly auth: Authenticator;
  readonly db: Database;
  readonly settings: OrderServiceSettings;
}

/** What the process made before Nest (the database, the settings), for Nest's providers. */
@Global()
@Module({})
class CoreModule {
  static register(db: Database, settings: OrderServiceSettings): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: DATABASE, useValue: db },
        { provide: ORDER_SERVICE_CONFIG, useValue: settings },
      ],
      exports: [DATABASE, ORDER_SERVICE_CONFIG],
    };
  }
}

/** order-service: the platform (health, metrics, problem details, `/openapi.json`) and the orders. */
@Module({})
export class AppModule {
  static register({ runtime, auth, db, settings }: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot({ runtime, api, auth, bodyLimitBytes: 100 * 1024 }),
        CoreModule.register(db, settings),
        ClientsModule,
        OrdersModule,
      ],
    };
  }
}
