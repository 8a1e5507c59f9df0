import { Controller, type DynamicModule, Get, Headers, Inject, Module, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { Registry } from 'prom-client';
import { scrape } from './registry';

const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

@Controller('metrics')
class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  async metrics(@Headers('accept') accept: string | undefined, @Res() res: Response): Promise<void> {
    const { contentType, body } = await scrape(this.registry, accept);
    res.set('content-type', contentType).set('cache-control', 'no-store').send(body);
  }
}

/** `MetricsModule.forRoot({ registry })`: `GET /metrics` in the Prometheus text format, or OpenMetrics when asked for it. */
@Module({})
export class MetricsModule {
  static forRoot(options: { registry: Registry }): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [{ provide: METRICS_REGISTRY, useValue: options.registry }],
    };
  }
}
