// Each standard OTEL_* variable, set on a real process, and its effect seen on a real OTLP receiver.
import { join } from 'node:path';
import {
  bundleForNode,
  OtlpReceiver,
  type ReceivedSpan,
  type RunningProcess,
  startNode,
  testBundlePath,
} from '@platform/testing';

let main: string;
beforeAll(async () => {
  main = await bundleForNode(join(__dirname, 'traced-main.ts'), testBundlePath('traced-main/main.cjs'));
});

interface Run {
  readonly receiver: OtlpReceiver;
  readonly process: RunningProcess;
  readonly url: string;
  readonly sdkLoaded: boolean;
  /** Calls the fixture once; resolves with what it propagated to its upstream. */
  hello(headers?: Record<string, string>): Promise<Record<string, string>>;
  /** SIGTERM: the fixture flushes its spans and exits. */
  stop(): Promise<void>;
}

const runs: Run[] = [];
afterEach(async () => {
  for (const run of runs.splice(0)) {
    await run.process.stop('SIGKILL');
    await run.receiver.close();
  }
});

/** Starts the fixture with `env` (and a receiver; `endpoint` builds its OTLP variables from the receiver's URL). */
async function run(
  env: (endpoint: string) => Record<string, string>,
  receiverOptions: Parameters<typeof OtlpReceiver.start>[0] = {},
): Promise<Run> {
  const receiver = await OtlpReceiver.start(receiverOptions);
  const child = startNode([main], {
    env: { PATH: process.env['PATH'] ?? '', OTEL_BSP_SCHEDULE_DELAY: '50', ...env(receiver.endpoint) },
  });
  const deadline = Date.now() + 20_000;
  let line: string | undefined;
  while ((line = child.stdout.find((l) => l.startsWith('listening '))) === undefined) {
    if (child.exitStatus !== undefined || Date.now() > deadline)
      throw new Error(`the fixture did not start: ${[...child.stderr, ...child.stdout].join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const [, url = '', loaded] = /^listening (\S+) sdk-loaded=(\w+)$/.exec(line) ?? [];
  const started: Run = {
    receiver,
    process: child,
    url,
    sdkLoaded: loaded === 'true',
    async hello(headers = {}) {
      const res = await fetch(`${url}/hello/ada`, { headers });
      return ((await res.json()) as { propagated: Record<string, string> }).propagated;
    },
    async stop() {
      await child.stop('SIGTERM');
    },
  };
  runs.push(started);
  return started;
}

const serverSpan = (receiver: OtlpReceiver): Promise<ReceivedSpan> => receiver.waitFor((s) => s.kind === 2);
const otlp = (endpoint: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });

describe('the standard OTEL_* variables, each on a real process and a real OTLP receiver', () => {
  it('OTEL_EXPORTER_OTLP_ENDPOINT: spans go to <it>/v1/traces, as protobuf (the SDK default), with the service and its version', async () => {
    const { receiver, hello, sdkLoaded } = await run(otlp);
    expect(sdkLoaded).toBe(true);
    const { traceparent } = await hello();
    const span = await serverSpan(receiver);
    expect(traceparent).toContain(span.traceId);
    expect(span).toMatchObject({ service: 'traced-fixture', serviceVersion: '9.9.9', name: 'GET /hello/:name' });
    expect(receiver.exports[0]).toMatchObject({ path: '/v1/traces', contentType: 'application/x-protobuf' });
    // The SDK's own resource attributes come too.
    expect(span.resource).toMatchObject({ 'telemetry.sdk.language': 'nodejs', 'process.pid': expect.any(Number) });
  });

  it('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: spans go to exactly that URL', async () => {
    const { receiver, hello } = await run((endpoint) => ({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/custom/traces`,
    }));
    await hello();
    await serverSpan(receiver);
    expect(receiver.exports.map((e) => e.path)).toEqual(expect.arrayContaining(['/custom/traces']));
    expect(receiver.exports.every((e) => e.path === '/custom/traces')).toBe(true);
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL=http/json: spans come as JSON', async () => {
    const { receiver, hello } = await run((endpoint) => ({
      ...otlp(endpoint),
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    }));
    await hello();
    await serverSpan(receiver);
    expect(receiver.exports[0]?.contentType).toBe('application/json');
  });

  it('OTEL_EXPORTER_OTLP_HEADERS: every export carries them', async () => {
    const { receiver, hello } = await run((endpoint) => ({
      ...otlp(endpoint),
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=s3cr%20t,x-tenant=platform',
    }));
    await hello();
    await serverSpan(receiver);
    expect(receiver.exports[0]?.headers).toMatchObject({ 'x-collector-key': 's3cr t', 'x-tenant': 'platform' });
  });

  it('OTEL_EXPORTER_OTLP_TIMEOUT: an export to a collector that never answers is abandoned after it', async () => {
    const { receiver, hello } = await run((endpoint) => ({ ...otlp(endpoint), OTEL_EXPORTER_OTLP_TIMEOUT: '300' }), {
      hang: true,
    });
    await hello();
    const deadline = Date.now() + 10_000;
    while (receiver.exports[0]?.abandonedAt === undefined && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 25));
    const [first] = receiver.exports;
    // The SDK's default is 10 s; it gave up after about 300 ms (generous bounds: two busy cores).
    expect(first?.abandonedAt).toBeDefined();
    expect((first?.abandonedAt ?? 0) - (first?.receivedAt ?? 0)).toBeLessThan(5_000);
  });

  it('OTEL_TRACES_SAMPLER=always_off: no spans, and the callee is told the trace is not sampled', async () => {
    const { receiver, hello, stop } = await run((endpoint) => ({
      ...otlp(endpoint),
      OTEL_TRACES_SAMPLER: 'always_off',
    }));
    expect((await hello())['traceparent']).toMatch(/-00$/);
    await stop();
    expect(receiver.spans).toEqual([]);
  });

  it('OTEL_TRACES_SAMPLER_ARG: a ratio of 0 samples nothing, 1 everything', async () => {
    const none = await run((endpoint) => ({
      ...otlp(endpoint),
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    }));
    const all = await run((endpoint) => ({
      ...otlp(endpoint),
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
    }));
    for (let i = 0; i < 3; i++) await Promise.all([none.hello(), all.hello()]);
    await Promise.all([none.stop(), all.stop()]);
    expect(none.receiver.spans).toEqual([]);
    expect(all.receiver.spans.filter((s) => s.kind === 2)).toHaveLength(3);
  });

  it('OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES: the resource of every span', async () => {
    const { receiver, hello } = await run((endpoint) => ({
      ...otlp(endpoint),
      OTEL_SERVICE_NAME: 'renamed-service',
      OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=pod-1,deployment.environment.name=staging',
    }));
    await hello();
    const span = await serverSpan(receiver);
    expect(span.service).toBe('renamed-service');
    expect(span.resource).toMatchObject({ 'k8s.pod.name': 'pod-1', 'deployment.environment.name': 'staging' });
  });

  it('OTEL_PROPAGATORS=b3: the trace travels in a b3 header, and a b3 caller is continued', async () => {
    const { receiver, hello } = await run((endpoint) => ({ ...otlp(endpoint), OTEL_PROPAGATORS: 'b3' }));
    const callerTrace = 'c'.repeat(32);
    const propagated = await hello({ b3: `${callerTrace}-${'d'.repeat(16)}-1` });
    expect(propagated['traceparent']).toBeUndefined();
    expect(propagated['b3']).toMatch(new RegExp(`^${callerTrace}-[0-9a-f]{16}-1$`));
    const span = await serverSpan(receiver);
    expect(span).toMatchObject({ traceId: callerTrace, parentSpanId: 'd'.repeat(16) });
  });

  it('OTEL_BSP_SCHEDULE_DELAY: spans wait that long for their batch (and are flushed at shutdown)', async () => {
    const { receiver, hello, stop } = await run((endpoint) => ({
      ...otlp(endpoint),
      OTEL_BSP_SCHEDULE_DELAY: '60000',
    }));
    await hello();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.spans).toEqual([]);
    await stop();
    expect(receiver.spans.filter((s) => s.kind === 2)).toHaveLength(1);
  });

  it('OTEL_BSP_MAX_EXPORT_BATCH_SIZE: no export carries more spans than that', async () => {
    const { receiver, hello, stop } = await run((endpoint) => ({
      ...otlp(endpoint),
      OTEL_BSP_SCHEDULE_DELAY: '60000',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2',
    }));
    for (let i = 0; i < 3; i++) await hello();
    await stop();
    expect(receiver.spans).toHaveLength(6); // a server and a client span per call
    expect(receiver.exports.map((e) => e.spanCount)).toEqual([2, 2, 2]);
  });

  it('OTEL_BSP_MAX_QUEUE_SIZE and OTEL_LOG_LEVEL: while the collector hangs, spans beyond the queue are dropped, and the SDK says so', async () => {
    const {
      receiver,
      hello,
      process: child,
    } = await run(
      (endpoint) => ({
        ...otlp(endpoint),
        OTEL_EXPORTER_OTLP_TIMEOUT: '60000',
        OTEL_BSP_EXPORT_TIMEOUT: '60000',
        OTEL_BSP_MAX_QUEUE_SIZE: '4',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2',
        OTEL_LOG_LEVEL: 'debug',
      }),
      { hang: true },
    );
    // The first call's two spans fill a batch, whose export hangs; the next two calls fill the queue.
    for (let i = 0; i < 5; i++) await hello();
    const deadline = Date.now() + 5_000;
    // The SDK's diagnostics go to the console (debug to standard output).
    const said = () => [...child.stdout, ...child.stderr].join('\n');
    while (!said().includes('maxQueueSize reached, dropping spans') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 25));
    expect(said()).toContain('maxQueueSize reached, dropping spans');
    expect(receiver.spans).toHaveLength(2);
  });

  it('OTEL_SDK_DISABLED=true: the SDK is not loaded, nothing is exported or propagated', async () => {
    const { receiver, hello, stop, sdkLoaded } = await run((endpoint) => ({
      ...otlp(endpoint),
      OTEL_SDK_DISABLED: 'true',
    }));
    expect(sdkLoaded).toBe(false);
    expect(await hello()).toEqual({});
    await stop();
    expect(receiver.exports).toEqual([]);
  });

  it('no endpoint: the SDK is not loaded (it would send to localhost:4318, where a pod has no collector)', async () => {
    const { hello, sdkLoaded } = await run(() => ({}));
    expect(sdkLoaded).toBe(false);
    expect(await hello()).toEqual({});
  });

  it('OTEL_TRACES_EXPORTER=console: spans to standard output, without an endpoint', async () => {
    const { hello, stop, process: child } = await run(() => ({ OTEL_TRACES_EXPORTER: 'console' }));
    const { traceparent } = await hello();
    await stop();
    const traceId = /^00-([0-9a-f]{32})-/.exec(traceparent ?? '')?.[1];
    expect(traceId).toBeDefined();
    expect(child.stdout.join('\n')).toContain(`traceId: '${traceId}'`);
  });

  it.each([
    ['OTEL_TRACES_SAMPLER', 'sometimes', 'OTEL_TRACES_SAMPLER must be one of always_on'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5', 'OTEL_TRACES_SAMPLER_ARG'],
    [
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'http/xml',
      'OTEL_EXPORTER_OTLP_PROTOCOL must be one of http/protobuf, http/json, grpc',
    ],
    ['OTEL_PROPAGATORS', 'tracecontext,xray', 'OTEL_PROPAGATORS has "xray"; each item must be one of'],
    ['OTEL_PROPAGATORS', 'none,b3', 'OTEL_PROPAGATORS lists none beside others'],
    ['OTEL_SDK_DISABLED', '1', 'OTEL_SDK_DISABLED must be true or false'],
    ['OTEL_BSP_MAX_QUEUE_SIZE', '-1', 'OTEL_BSP_MAX_QUEUE_SIZE must be an integer'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', 'OTEL_EXPORTER_OTLP_ENDPOINT'],
  ])('a bad %s (%s) stops the process with one line naming it', async (variable, value, message) => {
    const receiver = await OtlpReceiver.start();
    const child = startNode([main], {
      env: { PATH: process.env['PATH'] ?? '', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, [variable]: value },
    });
    try {
      expect(await child.exited).toBe(1);
      expect(child.stderr.filter(Boolean)).toHaveLength(1);
      expect(child.stderr[0]).toContain(message);
    } finally {
      await receiver.close();
    }
  });

  it('a bad OTEL_EXPORTER_OTLP_HEADERS is named but never echoed (it carries keys)', async () => {
    const child = startNode([main], { env: { PATH: '', OTEL_EXPORTER_OTLP_HEADERS: 'api-key=%zz-secret' } });
    expect(await child.exited).toBe(1);
    expect(child.stderr.join('\n')).toContain('OTEL_EXPORTER_OTLP_HEADERS');
    expect(child.stderr.join('\n')).not.toContain('secret');
  });
});
