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
