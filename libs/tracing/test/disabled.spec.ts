import { startTracing } from '../src/index';
import { startTracedServer } from './traced-server';

it('loads no SDK and propagates nothing without an endpoint', async () => {
  expect(startTracing({ serviceName: 'traced-fixture', serviceVersion: '9.9.9', enabled: false }).enabled).toBe(false);
  const service = await startTracedServer();
  try {
    await fetch(`${service.url}/hello/ada`);
    expect(service.upstreamHeaders[0]?.['traceparent']).toBeUndefined();
    expect(Object.keys(require.cache).some((file) => file.includes('@opentelemetry/sdk-'))).toBe(false);
  } finally {
    await service.close();
  }
});
