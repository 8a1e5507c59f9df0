import type { HealthCheck } from '@platform/health';
import type { Logger } from '@platform/logging';
import { createPoolMetrics, type Registry } from '@platform/metrics';
import { env } from '@platform/config';
import type { Database } from './database';
import { loadMigrations, migrate } from './migrations';
import { databaseHealthCheck, openDatabase } from './open';

/** The database settings every service reads from its environment. */
export const databaseSettings = (service: string) => ({
  /** PostgreSQL in the cluster (from a Kubernetes Secret); unset locally, for the embedded engine. */
  databaseUrl: env.optionalUrl('DATABASE_URL', { protocols: ['postgres:', 'postgresql:'], secret: true }),
  /** Where the embedded engine keeps its data when DATABASE_URL is unset. */
  dataDir: env.string('DATA_DIR', { default: `.data/${service}` }),
  dbPoolMax: env.integer('DB_POOL_MAX', { min: 2, max: 100, default: 10 }),
  dbConnectTimeoutMs: env.milliseconds('DB_CONNECT_TIMEOUT_MS', { default: 2_000, max: 60_000 }),
  dbStatementTimeoutMs: env.milliseconds('DB_STATEMENT_TIMEOUT_MS', { default: 5_000, max: 300_000 }),
});

export type DatabaseConfig = {
  readonly databaseUrl: URL | undefined;
  readonly dataDir: string;
  readonly dbPoolMax: number;
  readonly dbConnectTimeoutMs: number;
  readonly dbStatementTimeoutMs: number;
};

/** The parts of a service runtime the database joins: readiness, shutdown and the log. */
export interface DatabaseHost {
  readonly service: string;
  readonly logger: Logger;
  /** Where the pool's metrics go (db_client_connections…), if anywhere. */
  readonly metrics?: Registry;
  readonly health: { register(check: HealthCheck): unknown };
  onClose(name: string, close: () => Promise<unknown>): unknown;
}

/**
 * Opens the service's database (PostgreSQL or the embedded engine), applies its migrations
 * under the migration lock, makes it a readiness check and closes it on shutdown.
 */
export async function startDatabase(
  host: DatabaseHost,
  config: DatabaseConfig,
  migrationsDir: string,
): Promise<Database> {
  const migrations = loadMigrations(migrationsDir);
  const db = await openDatabase({
    url: config.databaseUrl?.toString(),
    dataDir: config.dataDir,
    poolMax: config.dbPoolMax,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    applicationName: host.service,
    onIdleError: (error) => host.logger.warn({ err: error }, 'an idle database connection failed'),
  });
  try {
    const report = await migrate(db, migrations);
    host.logger.info(
      { engine: db.engine, applied: report.applied, already_applied: report.alreadyApplied },
      report.applied.length > 0 ? 'database migrated' : 'database schema up to date',
    );
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  host.health.register(databaseHealthCheck(db));
  const connections = db.connections?.bind(db);
  if (connections !== undefined && host.metrics !== undefined) createPoolMetrics(host.metrics, connections);
  host.onClose('database', () => db.close());
  return db;
}
