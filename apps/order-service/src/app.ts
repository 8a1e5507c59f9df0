import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import type { ServiceRuntime } from '@platform/runtime';
import { PlatformModule } from '@platform/runtime/nest';
import { Orders } from './orders/orders';
import { OrdersController } from './orders/orders.controller';

export interface AppDependencies {
  readonly runtime: ServiceRuntime;
  readonly orders: Orders;
}

@Module({})
class OrdersModule {
  static register(orders: Orders): DynamicModule {
    return {
      module: OrdersModule,
      controllers: [OrdersController],
      providers: [{ provide: Orders, useValue: orders }],
    };
  }
}

@Module({})
class AppModule {
  static register({ runtime, orders }: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [PlatformModule.forRoot({ runtime, bodyLimitBytes: 100 * 1024 }), OrdersModule.register(orders)],
    };
  }
}

/** The order-service Nest app (on Express), initialised but not listening. */
export async function buildApp(dependencies: AppDependencies): Promise<NestExpressApplication> {
  // The adapter is given explicitly, so the bundle requires @nestjs/platform-express statically
  // (Nest would otherwise load it by name at run time, which the image's dependency pruning misses).
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(dependencies), new ExpressAdapter(), {
    bodyParser: false,
    logger: false,
    abortOnError: false,
  });
  app.disable('x-powered-by');
  await app.init();
  return app;
}
