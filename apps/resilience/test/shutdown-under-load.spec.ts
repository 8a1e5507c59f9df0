import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  type RunningProcess,
  startNode,
  waitForHttp,
  WORKSPACE_ROOT,
  builtServiceArgs,
  STARTUP_HOOK_TIMEOUT_MS,
} from '@platform/testing';
import { TestIdentity } from './identity';
import { loop, send } from './load';

// A deploy as Kubernetes does it: SIGTERM while clients keep sending. Every request the service
// accepted must complete normally; new connections may be refused once the listener closes;
// readiness answers 503 from the moment of the signal; the process exits 0 within its drain timeout.
const DRAIN_TIMEOUT_MS = 5_000;
const SHUTDOWN_DELAY_MS = 2_000;
const CONCURRENCY = 16;

const services = {
  'user-service': { path: '/users?limit=5', ok: [200] },
  'order-service': { path: '/orders?limit=5', ok: [200] },
  'payment-service': { path: '/payments?limit=5', ok: [200] },
} as const;

describe.each(Object.entries(services))('%s under load, then SIGTERM', (service, { path, ok }) => {
  let dataDir: string;
  let child: RunningProcess;
  let base: string;
  let identity: TestIdentity;
  /** A caller the list may answer 200: an administrator, or order-service for payments. */
  let caller: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), `${service}-shutdown-`));
    identity = await TestIdentity.start();
    caller = service === 'payment-service' ? await identity.workload('payment-service') : await identity.admin();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const dist = join(WORKSPACE_ROOT, 'dist/apps', service);
    child = startNode(builtServiceArgs(dist), {
      env: {
        PATH: process.env['PATH'],
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        SHUTDOWN_DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
        SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
        ...identity.env(service),
      },
    });
    await waitForHttp(`${base}/health/ready`, { process: child });
  }, STARTUP_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await child.stop('SIGKILL');
    await identity.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('completes every accepted request, fails readiness at once, and exits 0 in time', async () => {
    let exited = false;
    let signalledAt = Infinity;
    void child.exited.then(() => (exited = true));

    let answered200 = 0;
    let readySeen = false;
    const traffic = loop(
      CONCURRENCY,
      async (agent) => {
        const outcome = await send(agent, `${base}${path}`, 'GET', undefined, caller);
        if (outcome.result === 200) answered200++;
        return outcome;
      },
      () => exited,
      60_000,
    );
    const readiness = loop(
      1,
      async (agent) => {
        const outcome = await send(agent, `${base}/health/ready`);
        if (outcome.result === 200) readySeen = true;
        return outcome;
      },
      () => exited,
      60_000,
    );

    // The signal comes once the load is under way and readiness has been seen ready: waited for,
    // not timed, since a busy machine takes longer to get there (bounded at 15 s).
    const underWay = performance.now() + 15_000;
    while ((!readySeen || answered200 < 100) && performance.now() < underWay)
      await new Promise((resolve) => setTimeout(resolve, 20));
    signalledAt = performance.now();
    child.child.kill('SIGTERM');
    const code = await child.exited;
    const stoppedAfter = performance.now() - signalledAt;
    const [requests, probes] = await Promise.all([traffic, readiness]);

    expect(code).toBe(0);
    expect(stoppedAfter).toBeLessThan(SHUTDOWN_DELAY_MS + DRAIN_TIMEOUT_MS + 2_000);

    const answered = requests.filter((o) => typeof o.result === 'number');
    // Not accepted: refused once the listener closed, or reset on a brand-new connection that was
    // still in the kernel's accept queue when the listening socket closed (it never reached the
    // service; in the cluster the load balancer has stopped sending by then).
    const listenerClosed = signalledAt + SHUTDOWN_DELAY_MS;
    const notAccepted = requests.filter((o) => o.result === 'ECONNREFUSED' || (o.result === 'ECONNRESET' && !o.reused));
    const broken = requests.filter((o) => typeof o.result !== 'number' && !notAccepted.includes(o));
    expect(answered.length).toBeGreaterThan(100);
    expect(answered.filter((o) => o.sentAt > signalledAt).length).toBeGreaterThan(10);
    // Accepted requests never fail because of the shutdown: every answer is the normal one, and no
    // request on an accepted connection was cut on the way.
    expect(answered.filter((o) => !(ok as readonly number[]).includes(o.result as number))).toEqual([]);
    expect(broken).toEqual([]);
    // Refused only once the listener closed: judged by when the refusal was seen, since on a busy
    // machine a request's connection attempt can start well after the moment it was issued.
    for (const o of notAccepted) expect(o.doneAt).toBeGreaterThan(listenerClosed - 100);

    // Readiness: ready until the signal; then, once the service has taken the signal (promptly,
    // even on a busy machine), failing for good.
    const probed = probes.filter((o) => typeof o.result === 'number');
    const before = probed.filter((o) => o.doneAt < signalledAt);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((o) => o.result === 200)).toBe(true);
    const flipped = probed.find((o) => o.sentAt > signalledAt && o.result === 503);
    expect(flipped).toBeDefined();
    expect((flipped?.sentAt ?? Infinity) - signalledAt).toBeLessThan(SHUTDOWN_DELAY_MS);
    const after = probed.filter((o) => o.sentAt >= (flipped?.sentAt ?? Infinity));
    expect(after.every((o) => o.result === 503)).toBe(true);
  }, 120_000);
});
