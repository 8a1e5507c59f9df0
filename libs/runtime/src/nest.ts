import { type DynamicModule, Inject, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Authenticator } from '@platform/auth';
import { bearerAuth } from '@platform/auth/nest';
import type { ServiceApi } from '@platform/contracts';
import { OpenApiModule } from '@platform/contracts/nest';
import { jsonBody } from '@platform/errors/express';
import { ProblemDetailsFilter } from '@platform/errors/nest';
import { HealthModule } from '@platform/health/nest';
import { MetricsModule } from '@platform/metrics/nest';
import helmet from 'helmet';
import { accessOfApi } from './access';
import { observeRequests } from './express';
import type { ServiceRuntime } from './runtime';

export interface NestPlatformOptions {
  readonly runtime: ServiceRuntime;
  /** Largest accepted JSON body; 100 kB by default. */
  readonly bodyLimitBytes?: number;
  /** The service's API: `GET /openapi.json`, and route templates and 405s from its operations. */
  readonly api?: ServiceApi;
  /** Authenticates the requests for the API's operations that need a bearer token. */
  readonly auth?: Authenticator;
}

export const SERVICE_RUNTIME = Symbol('SERVICE_RUNTIME');
const PLATFORM_OPTIONS = Symbol('PLATFORM_OPTIONS');

/**
 * `PlatformModule.forRoot({ runtime, api })` adopts the platform in a NestJS app on Express:
 * security headers, request observation, JSON bodies (create the app with `bodyParser: false`),
 * `/health/*`, `/metrics`, `/openapi.json`, and a global filter rendering every error as problem
 * details (404, or 405 for a path of the API with another method).
 * The runtime is injectable as `SERVICE_RUNTIME`.
 */
@Module({})
export class PlatformModule implements NestModule {
  constructor(@Inject(PLATFORM_OPTIONS) private readonly options: NestPlatformOptions) {}

  static forRoot(options: NestPlatformOptions): DynamicModule {
    const { runtime, api } = options;
    return {
      module: PlatformModule,
      global: true,
      imports: [
        HealthModule.forRoot({ registry: runtime.health }),
        MetricsModule.forRoot({ registry: runtime.metrics }),
        ...(api === undefined ? [] : [OpenApiModule.forRoot(api.document)]),
      ],
      providers: [
        { provide: SERVICE_RUNTIME, useValue: runtime },
        { provide: PLATFORM_OPTIONS, useValue: options },
        {
          provide: APP_FILTER,
          useValue: new ProblemDetailsFilter({
            onUnexpected: (error, request) =>
              (request.observed?.log ?? runtime.logger).error({ err: error }, 'unexpected error'),
            allowedMethods: api?.routes.allowedMethods,
          }),
        },
      ],
      exports: [SERVICE_RUNTIME],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    const { options } = this;
    const accessOf = accessOfApi(options.api, options.auth);
    consumer
      .apply(
        observeRequests(options.runtime, options.api),
        helmet(),
        // Who is calling is settled before the body is read: no 400 or 415 tells a stranger anything.
        ...(accessOf === undefined ? [] : [bearerAuth(options.auth as Authenticator, accessOf)]),
        ...jsonBody({ limitBytes: options.bodyLimitBytes ?? 100 * 1024 }),
      )
      // "/" is mounted with Express's use(), which runs for every request without decoding a
      // path parameter: a path with a bad percent-encoding is still observed (not so with "*").
      .forRoutes('/');
  }
}
