import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  bundleForNode,
  freePort,
  testBundlePath,
  OtlpReceiver,
  startNode,
  waitForHttp,
  type RunningProcess,
} from '@platform/testing';
import { tracingRequested } from '../src/index';

// Instrumentation patches modules as node loads them, which jest's module registry bypasses:
// the fixture runs as a real node process.
describe('tracing in a real process', () => {
  let bundle: string;
  let upstream: Server;
  let upstreamHeaders: IncomingHttpHeaders[];

  beforeAll(async () => {
    bundle = await bundleForNode(join(__dirname, 'fixtures/traced-service.ts'), testBundlePath('traced-service.js'));
    upstreamHeaders = [];
    upstream = createServer((req, res) => {
      upstreamHeaders.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

  async function start(env: Record<string, string>): Promise<{ service: RunningProcess; port: number }> {
    const port = await freePort();
    const service = startNode([bundle], {
      env: {
        PATH: process.env['PATH'],
        PORT: String(port),
        UPSTREAM_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        ...env,
      },
    });
    await waitForHttp(`http://127.0.0.1:${port}/hello/probe`, { process: service });
    return { service, port };
  }

  it('exports server and client spans with the service name and version, propagates W3C trace context, and puts trace ids in logs', async () => {
    const receiver = await OtlpReceiver.start();
    const { service, port } = await start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    try {
      upstreamHeaders.length = 0;
      const res = await fetch(`http://127.0.0.1:${port}/hello/ada`);
      expect(await res.json()).toEqual({ hello: 'ada', sdkLoaded: true });
      expect(await service.stop('SIGTERM')).toBe(0); // the shutdown flushes the batch

      const traceparent = String(upstreamHeaders[0]?.['traceparent']);
      const [, traceId] = /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/.exec(traceparent) ?? [];
      expect(traceId).toBeDefined();
      const serverSpan = await receiver.waitFor((s) => s.kind === 2 && s.traceId === traceId);
      expect(serverSpan).toMatchObject({ service: 'traced-fixture', serviceVersion: '9.9.9' });
      expect(serverSpan.attributes['http.route']).toBe('/hello/:name');
      const clientSpan = await receiver.waitFor((s) => s.kind === 3 && s.traceId === traceId);
      expect(clientSpan.parentSpanId).toBeDefined();
      expect(traceparent).toContain(clientSpan.spanId);

      const logLine = service.stdout
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l['msg'] === 'saying hello' && l['name'] === 'ada');
      expect(logLine).toMatchObject({ trace_id: serverSpan.traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    } finally {
      await service.stop('SIGKILL');
      await receiver.close();
    }
  });

  it('loads nothing and propagates nothing when no OTLP endpoint is configured', async () => {
    const { service, port } = await start({});
    try {
      upstreamHeaders.length = 0;
      const res = await fetch(`http://127.0.0.1:${port}/hello/ada`);
      expect(await res.json()).toEqual({ hello: 'ada', sdkLoaded: false });
      expect(upstreamHeaders[0]?.['traceparent']).toBeUndefined();
      expect(JSON.parse(service.stdout[0] ?? '{}')).toEqual({ msg: 'ready', tracing: false });
    } finally {
      await service.stop();
    }
  });
});

describe('tracingRequested', () => {
  it('follows the OTLP endpoint variables and OTEL_SDK_DISABLED', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });
});
