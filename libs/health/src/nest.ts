import { Controller, type DynamicModule, Get, Inject, Module, Res } from '@nestjs/common';
import type { Response } from 'express';
import { type HealthProbe, HealthRegistry, httpStatusOf } from './registry';

const HEALTH_REGISTRY = Symbol('HEALTH_REGISTRY');

@Controller('health')
class HealthController {
  constructor(@Inject(HEALTH_REGISTRY) private readonly registry: HealthRegistry) {}

  @Get('live')
  live(@Res() res: Response): Promise<void> {
    return this.#answer('live', res);
  }

  @Get('ready')
  ready(@Res() res: Response): Promise<void> {
    return this.#answer('ready', res);
  }

  @Get('startup')
  startup(@Res() res: Response): Promise<void> {
    return this.#answer('startup', res);
  }

  async #answer(probe: HealthProbe, res: Response): Promise<void> {
    const report = await this.registry.probe(probe);
    res.status(httpStatusOf(report)).set('cache-control', 'no-store').json(report);
  }
}

/** `HealthModule.forRoot({ registry })`: `/health/live`, `/health/ready` and `/health/startup`. */
@Module({})
export class HealthModule {
  static forRoot(options: { registry: HealthRegistry }): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [{ provide: HEALTH_REGISTRY, useValue: options.registry }],
      exports: [HEALTH_REGISTRY],
    };
  }
}

export { HEALTH_REGISTRY, HealthRegistry };
