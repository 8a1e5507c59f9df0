import { OtlpReceiver } from '@platform/testing';
import { currentTracing, startTracing } from '../src/index';
import { startTracedServer, type TracedServer } from './traced-server';

describe('tracing, no trace sampled (ratio 0)', () => {
  let receiver: OtlpReceiver;
  let service: TracedServer;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = receiver.endpoint;
    process.env['OTEL_BSP_SCHEDULE_DELAY'] = '20';
    process.env['OTEL_TRACES_SAMPLER'] = 'parentbased_traceidratio';
    process.env['OTEL_TRACES_SAMPLER_ARG'] = '0';
    startTracing({ serviceName: 'traced-fixture', serviceVersion: '9.9.9', enabled: true });
    service = await startTracedServer();
  });
  afterAll(async () => {
    await service.close();
    await currentTracing().shutdown();
    await receiver.close();
  });

  it('exports nothing but still tells the callee, so a whole trace is sampled or not', async () => {
    await fetch(`${service.url}/hello/ada`);
    expect(String(service.upstreamHeaders[0]?.['traceparent'])).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    await currentTracing().shutdown();
    expect(receiver.spans).toEqual([]);
  });
});
