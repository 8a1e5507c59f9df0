import { OtlpReceiver } from '@platform/testing';
import { currentTracing, startTracing } from '../src/index';
import { startTracedServer, type TracedServer } from './traced-server';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

describe('tracing, every trace sampled', () => {
  let receiver: OtlpReceiver;
  let service: TracedServer;

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    // The Node SDK reads the standard variables itself (this test file has a process.env of its own).
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = receiver.endpoint;
    process.env['OTEL_BSP_SCHEDULE_DELAY'] = '50';
    process.env['OTEL_RESOURCE_ATTRIBUTES'] = 'deployment.environment.name=test';
    startTracing({ serviceName: 'traced-fixture', serviceVersion: '9.9.9', enabled: true });
    service = await startTracedServer();
  });
  afterAll(async () => {
    await service.close();
    await currentTracing().shutdown();
    await receiver.close();
  });

  it('exports a server span named after the route, a client span under it, W3C context to the callee and trace ids in logs', async () => {
    service.upstreamHeaders.length = 0;
    const res = await fetch(`${service.url}/hello/ada`, { method: 'POST', body: 'a body read from stream events' });
    expect(await res.json()).toMatchObject({ hello: 'ada' });

    const [, traceId, parentId, flags] = TRACEPARENT.exec(String(service.upstreamHeaders[0]?.['traceparent'])) ?? [];
    expect(flags).toBe('01');
    const server = await receiver.waitFor((s) => s.kind === 2 && s.traceId === traceId);
    expect(server).toMatchObject({
      service: 'traced-fixture',
      serviceVersion: '9.9.9',
      name: 'POST /hello/:name',
      attributes: expect.objectContaining({
        'http.request.method': 'POST',
        'http.route': '/hello/:name',
        'url.path': '/hello/ada',
        'http.response.status_code': 200,
      }),
    });
    const client = await receiver.waitFor((s) => s.kind === 3 && s.traceId === traceId);
    expect(client).toMatchObject({
      name: 'GET /downstream',
      spanId: parentId,
      parentSpanId: server.spanId,
      attributes: expect.objectContaining({ 'peer.service': 'upstream', 'http.response.status_code': 200 }),
    });
    expect(service.logs.find((l) => l['msg'] === 'saying hello')).toMatchObject({
      trace_id: traceId,
      span_id: server.spanId,
    });
  });

  it('continues the caller’s trace', async () => {
    const callerTrace = 'a'.repeat(32);
    await fetch(`${service.url}/hello/bob`, { headers: { traceparent: `00-${callerTrace}-${'b'.repeat(16)}-01` } });
    const server = await receiver.waitFor((s) => s.kind === 2 && s.traceId === callerTrace);
    expect(server.parentSpanId).toBe('b'.repeat(16));
  });

  it('makes no server span for ignored paths', async () => {
    service.upstreamHeaders.length = 0;
    await fetch(`${service.url}/health`);
    // The outgoing call, made outside any request span, starts a trace of its own.
    const [, traceId] = TRACEPARENT.exec(String(service.upstreamHeaders[0]?.['traceparent'])) ?? [];
    const client = await receiver.waitFor((s) => s.kind === 3 && s.traceId === traceId);
    expect(client.parentSpanId).toBeUndefined();
    expect(receiver.spans.filter((s) => s.kind === 2 && s.attributes['url.path'] === '/health')).toEqual([]);
  });
});
