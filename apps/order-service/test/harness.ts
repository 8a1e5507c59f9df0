import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator } from '@platform/auth';
import type { TestIssuer } from '@platform/auth/testing';
import type { Engine } from '@platform/persistence';
import { serviceContext, type ServiceContext } from '@platform/persistence/testing';
import { buildApp } from '../src/app';
import { compose } from '../src/compose';
import type { Reconciler } from '../src/orders/reconciler';

export interface TestService extends ServiceContext {
  server: Server;
  /** The service's reconciler: tests run it when they choose (its background job is not started here). */
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
  readonly paymentAttemptHoldMs?: number;
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
  const service = compose(
    {
      userServiceTokenFile: await tokenFile('user-service'),
      paymentServiceTokenFile: await tokenFile('payment-service'),
      userServiceUrl: new URL(dependencies.userServiceUrl),
      paymentServiceUrl: new URL(dependencies.paymentServiceUrl),
      userServiceTimeoutMs: dependencies.userServiceTimeoutMs ?? 2_000,
      paymentServiceTimeoutMs: dependencies.paymentServiceTimeoutMs ?? 5_000,
      paymentAttemptHoldMs: dependencies.paymentAttemptHoldMs ?? 60_000,
      reconcileIntervalMs: 3600_000,
      reconcileAfterMs: dependencies.reconcileAfterMs ?? 0,
      reconcileWatchMs: 0,
    },
    context.runtime,
    context.db,
  );
  const app = await buildApp({
    runtime: context.runtime,
    auth: new Authenticator(issuer.trust('order-service', [])),
    service,
  });
  return {
    ...context,
    server: app.getHttpServer() as Server,
    reconciler: service.reconciler,
    close: async () => {
      await app.close();
      await context.close();
      rmSync(tokens, { recursive: true, force: true });
    },
  };
}
