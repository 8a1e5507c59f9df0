import { OtlpReceiver } from '@platform/testing';
import { currentTracing, startTracing } from '../src/index';
import { startTracedServer, type TracedServer } from './traced-server';

describe('tracing, no trace sampled (ratio 0)', () => {
  let receiver: OtlpReceiver;
  let service: TracedServer;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    startTracing({
      serviceName: 'traced-fixture',
      serviceVersion: '9.9.9',
      tracesEndpoint: new URL(`${receiver.endpoint}/v1/traces`),
      sampler: 'parentbased_traceidratio',
      samplerArg: 0,
      scheduledDelayMs: 20,
    });
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
