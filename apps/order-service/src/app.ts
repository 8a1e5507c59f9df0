import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { platformHttpAdapter } from '@platform/runtime/nest';
import { type AppDependencies, AppModule } from './app.module';

export type { AppDependencies } from './app.module';

/** The order-service Nest app (on Express), initialised but not listening. */
export async function buildApp(dependencies: AppDependencies): Promise<NestExpressApplication> {
  // The adapter is given explicitly (strict routing; and the bundle requires
  // @nestjs/platform-express statically: Nest would otherwise load it by name at run time).
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register(dependencies),
    platformHttpAdapter(),
    {
      bodyParser: false,
      logger: false,
      abortOnError: false,
    },
  );
  await app.init();
  return app;
}
