import { HealthRegistry, httpStatusOf } from '../src/index';

const never = () => new Promise<never>(() => undefined);

describe('HealthRegistry', () => {
  it('is live from the start, and ready and started only once marked started', async () => {
    const registry = new HealthRegistry();
    expect(registry.liveness().status).toBe('ok');
    expect(registry.startup()).toMatchObject({ status: 'error', reason: 'starting' });
    expect(await registry.readiness()).toMatchObject({ status: 'error', reason: 'starting' });
    registry.markStarted();
    expect(registry.startup().status).toBe('ok');
    expect(await registry.readiness()).toEqual({ status: 'ok', checks: {} });
  });

  it('reports every check with its duration', async () => {
    const registry = new HealthRegistry();
    registry.register({ name: 'db', check: async () => 'fine' });
    registry.register({ name: 'cache', check: async () => Promise.reject(new Error('down')) });
    registry.markStarted();
    const report = await registry.readiness();
    expect(report.status).toBe('error');
    expect(httpStatusOf(report)).toBe(503);
    expect(report.checks['db']).toMatchObject({ status: 'ok' });
    expect(report.checks['cache']).toMatchObject({ status: 'error', error: 'failed' });
    expect(typeof report.checks['db']?.durationMs).toBe('number');
  });

  it('fails a hung check by its own timeout without hanging the probe, and aborts it', async () => {
    const failures: string[] = [];
    const registry = new HealthRegistry({ onCheckFailed: (name) => failures.push(name) });
    let aborted = false;
    registry.register({
      name: 'hung',
      timeoutMs: 50,
      check: (signal) => {
        signal.addEventListener('abort', () => (aborted = true));
        return never();
      },
    });
    registry.register({ name: 'fast', check: async () => undefined });
    registry.markStarted();
    const started = performance.now();
    const report = await registry.readiness();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(report.checks['hung']).toMatchObject({ status: 'error', error: 'timeout' });
    expect(report.checks['fast']).toMatchObject({ status: 'ok' });
    expect(aborted).toBe(true);
    expect(failures).toEqual(['hung']);
  });

  it('runs checks concurrently', async () => {
    const registry = new HealthRegistry();
    // Counted, not timed: all four checks are running at the same moment.
    let running = 0;
    let most = 0;
    const check = async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 50));
      running--;
    };
    for (const name of ['a', 'b', 'c', 'd']) registry.register({ name, check });
    registry.markStarted();
    expect((await registry.readiness()).status).toBe('ok');
    expect(most).toBe(4);
  });

  it('fails readiness as soon as shutdown begins, even when every check passes, and stays live', async () => {
    const registry = new HealthRegistry();
    registry.register({ name: 'db', check: async () => undefined });
    registry.markStarted();
    registry.markShuttingDown();
    expect(await registry.readiness()).toMatchObject({ status: 'error', reason: 'shutting down' });
    expect(registry.liveness().status).toBe('ok');
  });

  it('refuses two checks with one name', () => {
    const registry = new HealthRegistry().register({ name: 'db', check: async () => undefined });
    expect(() => registry.register({ name: 'db', check: async () => undefined })).toThrow(/already registered/);
  });
});
