import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CallHandler,
  type DynamicModule,
  type ExecutionContext,
  Inject,
  Injectable,
  type MiddlewareConsumer,
  Module,
  type NestInterceptor,
  type NestModule,
  type OnModuleInit,
} from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { APP_FILTER, APP_INTERCEPTOR, DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Authenticator } from '@platform/auth';
import { accessOf, AUTHENTICATOR } from '@platform/auth/nest';
import { PLATFORM_PATHS, type ServiceApi } from '@platform/contracts';
import { OpenApiModule } from '@platform/contracts/nest';
import { jsonBody } from '@platform/errors/express';
import { ProblemDetailsFilter } from '@platform/errors/nest';
import { HealthModule } from '@platform/health/nest';
import { MetricsModule } from '@platform/metrics/nest';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { from, mergeMap, type Observable } from 'rxjs';
import { observeRequests } from './express';
import type { ServiceRuntime } from './runtime';

export interface NestPlatformOptions {
  readonly runtime: ServiceRuntime;
  /** Largest accepted JSON body; 100 kB by default. */
  readonly bodyLimitBytes?: number;
  /** The service's API: `GET /openapi.json`, and route templates and 405s from its operations. */
  readonly api?: ServiceApi;
  /** Verifies the bearer tokens of the routes whose operation needs one (`@Route`'s guard). */
  readonly auth?: Authenticator;
}

export const SERVICE_RUNTIME = Symbol('SERVICE_RUNTIME');
const PLATFORM_OPTIONS = Symbol('PLATFORM_OPTIONS');

/**
 * The HTTP adapter of a platform Nest app: Express routing strictly and case-sensitively (`/Orders`
 * and `/orders/` are not `/orders`), the one rule of all three services. Pass it to `NestFactory.create`.
 */
export const platformHttpAdapter = (): ExpressAdapter =>
  new ExpressAdapter(express().enable('case sensitive routing').enable('strict routing').disable('x-powered-by'));

/** Runs Express middleware in order, as a promise. */
const runMiddleware = (chain: readonly RequestHandler[], req: IncomingMessage, res: ServerResponse) =>
  chain.reduce<Promise<void>>(
    (previous, handler) =>
      previous.then(
        () =>
          new Promise<void>((resolve, reject) =>
            handler(req as express.Request, res as express.Response, (error?: unknown) =>
              error === undefined ? resolve() : reject(error),
            ),
          ),
      ),
    Promise.resolve(),
  );

/**
 * Reads the JSON body once the route's guard has admitted the request (interceptors run after
 * guards): who is calling is settled before the body is read, so no 400 or 415 tells a stranger anything.
 */
@Injectable()
class JsonBodyInterceptor implements NestInterceptor {
  readonly #read: RequestHandler[];

  constructor(@Inject(PLATFORM_OPTIONS) options: NestPlatformOptions) {
    this.#read = jsonBody({ limitBytes: options.bodyLimitBytes ?? 100 * 1024 });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    return from(runMiddleware(this.#read, http.getRequest(), http.getResponse())).pipe(mergeMap(() => next.handle()));
  }
}

const routePath = (...parts: unknown[]) =>
  `/${parts
    .filter((part): part is string => typeof part === 'string')
    .join('/')
    .split('/')
    .filter(Boolean)
    .join('/')}`;

/**
 * `PlatformModule.forRoot({ runtime, api, auth })` adopts the platform in a NestJS app on Express
 * (made with `platformHttpAdapter()` and `bodyParser: false`): security headers, request
 * observation, the authenticator of `@Route`'s guard, JSON bodies read after it, `/health/*`,
 * `/metrics`, `/openapi.json`, and a global filter rendering every error as problem details (404,
 * or 405 for a path of the API with another method). It refuses to start an app with a route that
 * is neither an operation (`@Route`) nor one of the platform's paths. The runtime is injectable as
 * `SERVICE_RUNTIME`.
 */
@Module({})
export class PlatformModule implements NestModule, OnModuleInit {
  constructor(
    @Inject(PLATFORM_OPTIONS) private readonly options: NestPlatformOptions,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
  ) {}

  static forRoot(options: NestPlatformOptions): DynamicModule {
    const { runtime, api } = options;
    return {
      module: PlatformModule,
      global: true,
      imports: [
        DiscoveryModule,
        HealthModule.forRoot({ registry: runtime.health }),
        MetricsModule.forRoot({ registry: runtime.metrics }),
        ...(api === undefined ? [] : [OpenApiModule.forRoot(api.document)]),
      ],
      providers: [
        { provide: SERVICE_RUNTIME, useValue: runtime },
        { provide: PLATFORM_OPTIONS, useValue: options },
        { provide: AUTHENTICATOR, useValue: options.auth ?? null },
        { provide: APP_INTERCEPTOR, useClass: JsonBodyInterceptor },
        {
          provide: APP_FILTER,
          useValue: new ProblemDetailsFilter({
            onUnexpected: (error, request) =>
              (request.observed?.log ?? runtime.logger).error({ err: error }, 'unexpected error'),
            allowedMethods: api?.routes.allowedMethods,
          }),
        },
      ],
      exports: [SERVICE_RUNTIME, AUTHENTICATOR],
    };
  }

  /** Deny by default: every route is an operation with its access (`@Route`) or a platform path. */
  onModuleInit(): void {
    for (const { metatype } of this.discovery.getControllers()) {
      if (typeof metatype !== 'function') continue;
      const prototype = metatype.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = name === 'constructor' ? undefined : prototype[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const path = routePath(
          Reflect.getMetadata(PATH_METADATA, metatype),
          Reflect.getMetadata(PATH_METADATA, handler),
        );
        const access = accessOf(handler);
        if (access === undefined && !PLATFORM_PATHS.has(path)) {
          throw new Error(`${metatype.name}.${name} (${path}) declares no access: map it with @Route(operation)`);
        }
        if (access !== undefined && access !== 'public' && this.options.auth === undefined) {
          throw new Error(
            `${metatype.name}.${name} (${path}) needs a bearer token: give the platform an authenticator`,
          );
        }
      }
    }
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(observeRequests(this.options.runtime, this.options.api), helmet())
      // "/" is mounted with Express's use(), which runs for every request without decoding a
      // path parameter: a path with a bad percent-encoding is still observed (not so with "*").
      .forRoutes('/');
  }
}
