import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator } from '@platform/auth';
import type { TestIssuer } from '@platform/auth/testing';
import type { Engine } from '@platform/persistence';
import { serviceContext, type ServiceContext } from '@platform/persistence/testing';
import { buildApp } from '../src/app';
import { Reconciler } from '../src/orders/reconciler';
import type { Registry } from 'prom-client';

export interface TestService extends ServiceContext {
  server: Server;
  /** The app's reconciler: tests run it when they choose (it runs in the background only hourly). */
  reconciler: Reconciler;
}

export interface Dependencies {
  /** The issuer people's tokens come from, and that mints order-service's own tokens. */
  readonly issuer: TestIssuer;
  readonly userServiceUrl: string;
  readonly paymentServiceUrl: string;
  readonly userServiceTimeoutMs?: number;
  readonly paymentServiceTimeoutMs?: number;
  /** How long a payment attempt holds an order (60 s unless a test needs it to go quiet sooner). */
  readonly paymentAttemptStaleMs?: number;
  /** When the reconciler looks at an order after an attempt began (at once, by default). */
  readonly reconcileAfterMs?: number;
}

/**
 * The real Nest app on a fresh, migrated database of the given engine, calling real HTTP servers
 * with its own workload tokens (files the issuer wrote, as the kubelet would).
 */
export async function startTestService(engine: Engine, dependencies: Dependencies): Promise<TestService> {
  const context = await serviceContext({
    service: 'order-service',
    engine,
    migrationsDir: join(__dirname, '../src/migrations'),
  });
  const { issuer } = dependencies;
  const tokens = mkdtempSync(join(tmpdir(), 'order-service-tokens-'));
  const tokenFile = async (audience: string) => {
    const file = join(tokens, audience);
    writeFileSync(file, await issuer.workload(audience));
    return file;
  };
  const app = await buildApp({
    runtime: context.runtime,
    auth: new Authenticator(issuer.trust('order-service', [])),
    db: context.db,
    settings: {
      userServiceTokenFile: await tokenFile('user-service'),
      paymentServiceTokenFile: await tokenFile('payment-service'),
      userServiceUrl: new URL(dependencies.userServiceUrl),
      paymentServiceUrl: new URL(dependencies.paymentServiceUrl),
      userServiceTimeoutMs: dependencies.userServiceTimeoutMs ?? 2_000,
      paymentServiceTimeoutMs: dependencies.paymentServiceTimeoutMs ?? 5_000,
      paymentAttemptStaleMs: dependencies.paymentAttemptStaleMs ?? 60_000,
      reconcileIntervalMs: 3600_000,
      reconcileAfterMs: dependencies.reconcileAfterMs ?? 0,
      reconcileWatchMs: 0,
    },
  });
  // The reconciler's first background run comes within a second of start; the tests run it
  // themselves from then on (its next run is an hour away), so that run is waited out first.
  await firstRun(context.runtime.metrics, 'reconcile orders');
  return {
    ...context,
    server: app.getHttpServer() as Server,
    reconciler: app.get(Reconciler),
    close: async () => {
      await app.close();
      await context.close();
      rmSync(tokens, { recursive: true, force: true });
    },
  };
}

/**
 * Resolves once the background task has finished a run, as its runs counter says (read from the
 * metric itself: rendering the registry directly would rename its counters; scrapes render a view).
 */
async function firstRun(metrics: Registry, task: string): Promise<void> {
  const deadline = performance.now() + 15_000;
  const ran = async () =>
    ((await metrics.getSingleMetric('background_task_runs_total')?.get())?.values ?? []).some(
      (value) => value.labels['task'] === task,
    );
  while (!(await ran())) {
    if (performance.now() > deadline) throw new Error(`the background task "${task}" never ran`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
