import { join } from 'node:path';
import { Checkpoints, IdempotencyStore, type Queryable, startDatabase } from '@platform/persistence';
import { createAuthenticator, createRuntime, loadConfig, type ServiceRuntime } from '@platform/runtime';
import { buildApp } from './app';
import { type Config, configSpec, SERVICE_NAME } from './config';
import type { PaymentProvider } from './payments/provider';
import { PaymentRepository } from './payments/payment-repository';
import { abandonedAfterMs, ledgerRepair, Payments, settlementRepair } from './payments/payments';
import { SandboxProvider } from './payments/sandbox-provider';

const PURGE_INTERVAL_MS = 3600_000;

/** The adapter named by PAYMENT_PROVIDER; a real provider is one more case here. */
function providerFor(name: Config['paymentProvider'], db: Queryable): PaymentProvider {
  switch (name) {
    case 'sandbox':
      return new SandboxProvider(db);
  }
}

/** Starts payment-service from its environment: config, database and migrations, then the listener. */
export async function start(environment: NodeJS.ProcessEnv): Promise<ServiceRuntime> {
  const config = loadConfig(configSpec, environment);
  const runtime = createRuntime({ service: SERVICE_NAME, ...config });
  const db = await startDatabase(runtime, config, join(__dirname, 'migrations'));
  const staleAfterMs = abandonedAfterMs(config);
  const idempotency = new IdempotencyStore(db, { staleAfterMs });
  const provider = providerFor(config.paymentProvider, db);
  const payments = new Payments(db, new PaymentRepository(db), idempotency, provider, new Checkpoints(db), {
    providerTimeoutMs: config.providerTimeoutMs,
    abandonedAfterMs: staleAfterMs,
  });
  const app = await buildApp({ runtime, auth: createAuthenticator(config, runtime.logger), payments });
  runtime.onClose('fastify', () => app.close());

  runtime.every('purge expired idempotency keys', PURGE_INTERVAL_MS, async () => {
    const count = await idempotency.purgeExpired();
    if (count > 0) runtime.logger.info({ count }, 'expired idempotency keys purged');
  });
  runtime.every('settle abandoned payments', config.settleIntervalMs, (report) =>
    payments.settleAbandoned((settlement) => report(settlementRepair(settlement))),
  );
  runtime.every('reconcile provider ledger', config.ledgerIntervalMs, (report) =>
    payments.reconcileLedger((repair) => report(ledgerRepair(repair))),
  );

  await runtime.listen(app.server, config.port, config.host);
  return runtime;
}
