import { type AddressInfo } from 'node:net';
import { createRuntime } from '../src/index';
import { captureLogs, frameworks, sleep } from './apps';

const url = (server: import('node:http').Server, path: string) =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

describe.each(Object.keys(frameworks) as (keyof typeof frameworks)[])('graceful shutdown on %s', (framework) => {
  it('fails readiness at once, lets an in-flight request finish normally, closes its connection and exits 0', async () => {
    const app = await frameworks[framework]({ shutdownDelayMs: 250, drainTimeoutMs: 5_000 });
    const order: string[] = [];
    app.runtime.onClose('first registered', () => void order.push('first'));
    app.runtime.onClose('second registered', () => void order.push('second'));
    expect((await fetch(url(app.server, '/health/ready'))).status).toBe(200);

    const inFlight = fetch(url(app.server, '/slow'));
    await sleep(50);
    const exit = app.runtime.shutdown('SIGTERM');
    const ready = await fetch(url(app.server, '/health/ready'));
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'error', reason: 'shutting down' });

    const slow = await inFlight;
    expect(slow.status).toBe(200);
    expect(await slow.json()).toEqual({ slow: true });
    expect(await exit).toBe(0);
    expect(order.slice(0, 2)).toEqual(['second', 'first']);
    expect(app.server.listening).toBe(false);
    expect(app.logs.some((l) => l['msg'] === 'shutdown complete')).toBe(true);
  });

  it('cuts what is still running when the drain timeout is reached, and still exits', async () => {
    const app = await frameworks[framework]({ drainTimeoutMs: 100 });
    const inFlight = fetch(url(app.server, '/slow')).then(
      (res) => res.status,
      () => 'cut',
    );
    await sleep(50);
    const started = performance.now();
    expect(await app.runtime.shutdown('SIGTERM')).toBe(0);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(await inFlight).toBe('cut');
    expect(app.logs.some((l) => String(l['msg']).startsWith('drain timeout reached'))).toBe(true);
  });
});

describe('close hooks', () => {
  it('runs every hook even when one fails or hangs, and reports exit code 1', async () => {
    const { logs, destination } = captureLogs();
    const runtime = createRuntime({
      service: 's',
      version: '1',
      logDestination: destination,
      closeTimeoutMs: 50,
      processMetrics: false,
    });
    const closed: string[] = [];
    runtime.onClose('a', () => void closed.push('a'));
    runtime.onClose('hangs', () => new Promise(() => undefined));
    runtime.onClose('fails', () => Promise.reject(new Error('boom')));
    expect(await runtime.shutdown()).toBe(1);
    expect(closed).toEqual(['a']);
    expect(logs.filter((l) => l['msg'] === 'closing a resource failed').map((l) => l['resource'])).toEqual([
      'fails',
      'hangs',
    ]);
  });
});

describe('background tasks', () => {
  it('run on their interval one at a time, log and count each repair and failure, and stop on shutdown', async () => {
    const { logs, destination } = captureLogs();
    const runtime = createRuntime({ service: 's', version: '1', logDestination: destination, processMetrics: false });
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    runtime.every('heal', 20, async (report) => {
      runs++;
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      try {
        await sleep(60); // longer than the interval: the next run must wait for this one
        if (runs === 1) report({ repair: 'fixed-thing', message: 'a thing was fixed', thing_id: 't-1' });
        if (runs === 2) throw new Error('dependency down');
      } finally {
        concurrent--;
      }
    });
    while (runs < 3) await sleep(10);
    await runtime.shutdown('test');
    // Shutdown waited for the run under way, and no run starts after it.
    expect(concurrent).toBe(0);
    const runsAtShutdown = runs;
    await sleep(100);

    expect(maxConcurrent).toBe(1);
    expect(runs).toBe(runsAtShutdown);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        task: 'heal',
        repair: 'fixed-thing',
        thing_id: 't-1',
        msg: 'a thing was fixed',
      }),
    );
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'warn', task: 'heal', msg: expect.stringMatching(/^heal failed/) }),
    );
    const metrics = await runtime.metrics.metrics();
    expect(metrics).toContain('background_task_repairs_total{task="heal",repair="fixed-thing"} 1');
    expect(metrics).toContain('background_task_runs_total{task="heal",outcome="failed"} 1');
    expect(metrics).toMatch(/background_task_runs_total\{task="heal",outcome="ok"\} [1-9]/);
  });
});
