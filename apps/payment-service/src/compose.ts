import { Checkpoints, type Database, IdempotencyStore, type Queryable } from '@platform/persistence';
import type { BackgroundJob, ServiceRuntime } from '@platform/runtime';
import type { Config } from './config';
import { PaymentRepository } from './payments/payment-repository';
import { abandonedAfterMs, ledgerRepair, Payments, settlementRepair } from './payments/payments';
import type { PaymentProvider } from './payments/provider';
import { SandboxProvider } from './payments/sandbox-provider';

const PURGE_INTERVAL_MS = 3600_000;

/** What payment-service needs of its configuration to compose. */
export type Settings = Pick<
  Config,
  'paymentProvider' | 'providerTimeoutMs' | 'abandonedAfterMs' | 'settleIntervalMs' | 'ledgerIntervalMs'
>;

/** payment-service's parts: its domain, the provider it charges, its background jobs. */
export interface PaymentService {
  readonly payments: Payments;
  readonly provider: PaymentProvider;
  readonly jobs: readonly BackgroundJob[];
}

/** What tests may replace: the clock, and the payments' SQL (one that fails its writes on demand). */
export interface Overrides {
  readonly now?: () => Date;
  readonly repository?: (db: Database) => PaymentRepository;
}

/** The adapter named by PAYMENT_PROVIDER; a real provider is one more case here. */
function providerFor(name: Settings['paymentProvider'], db: Queryable): PaymentProvider {
  switch (name) {
    case 'sandbox':
      return new SandboxProvider(db);
  }
}

/** Builds payment-service from its settings, runtime and database: the payments and their repairs. */
export function compose(
  settings: Settings,
  runtime: ServiceRuntime,
  db: Database,
  { now, repository = (database) => new PaymentRepository(database) }: Overrides = {},
): PaymentService {
  const staleAfterMs = abandonedAfterMs(settings);
  const idempotency = new IdempotencyStore(db, { staleAfterMs, now });
  const provider = providerFor(settings.paymentProvider, db);
  const payments = new Payments(db, repository(db), idempotency, provider, new Checkpoints(db), {
    providerTimeoutMs: settings.providerTimeoutMs,
    abandonedAfterMs: staleAfterMs,
    now,
  });
  const jobs: BackgroundJob[] = [
    {
      name: 'purge expired idempotency keys',
      intervalMs: PURGE_INTERVAL_MS,
      run: async () => {
        const count = await idempotency.purgeExpired();
        if (count > 0) runtime.logger.info({ count }, 'expired idempotency keys purged');
      },
    },
    {
      name: 'settle abandoned payments',
      intervalMs: settings.settleIntervalMs,
      run: (report) => payments.settleAbandoned((settlement) => report(settlementRepair(settlement))),
    },
    {
      name: 'reconcile provider ledger',
      intervalMs: settings.ledgerIntervalMs,
      run: (report) => payments.reconcileLedger((repair) => report(ledgerRepair(repair))),
    },
  ];
  return { payments, provider, jobs };
}
