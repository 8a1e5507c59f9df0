import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { type AppDependencies, AppModule } from './app.module';

export type { AppDependencies } from './app.module';

/** The order-service Nest app (on Express), initialised but not listening. */
export async function buildApp(dependencies: AppDependencies): Promise<NestExpressApplication> {
  // The adapter is given explicitly, so the bundle requires @nestjs/platform-express statically
  // (Nest would otherwise load it by name at run time).
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(dependencies), new ExpressAdapter(), {
    bodyParser: false,
    logger: false,
    abortOnError: false,
  });
  app.disable('x-powered-by');
  await app.init();
  return app;
}
