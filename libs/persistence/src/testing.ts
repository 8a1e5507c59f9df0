import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LogLevel } from '@platform/logging';
import { createRuntime, type ServiceRuntime } from '@platform/runtime';
import type { Database, Engine } from './database';
import { loadMigrations, migrate } from './migrations';
import { databaseHealthCheck } from './open';
import { openPglite } from './pglite';
import { openPostgres } from './postgres';

/**
 * Test databases on real engines: the embedded one always, PostgreSQL too when
 * `TEST_DATABASE_URL` points at a server (`.ci/run` starts one). Each test database is new and
 * empty, and is dropped when closed.
 */
export interface TestDatabase extends Database {
  /** The PostgreSQL URL of this database (undefined on the embedded engine). */
  readonly url?: string;
}

export const testDatabaseUrl = (): string | undefined => process.env['TEST_DATABASE_URL'] || undefined;

/**
 * Under CI a PostgreSQL server is not optional: without one, the tests that need it would pass unrun.
 * (The same rule as `@platform/testing`'s toolPresent, which this leaf library does not import.)
 */
function requireServerUnderCi(): void {
  const ci = process.env['CI'];
  if (testDatabaseUrl() === undefined && ci !== undefined && !['', 'false', '0'].includes(ci))
    throw new Error(
      'PostgreSQL is missing under CI (TEST_DATABASE_URL is not set): .ci/run runs the tests under tools/postgres/throwaway.sh run, which starts one',
    );
}

/** The engines the tests run on here: `['pglite']`, plus `'postgres'` when TEST_DATABASE_URL is set. */
export function testEngines(): Engine[] {
  requireServerUnderCi();
  return testDatabaseUrl() === undefined ? ['pglite'] : ['pglite', 'postgres'];
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'pglite') return openPglite();
  const adminUrl = testDatabaseUrl();
  if (adminUrl === undefined) throw new Error('TEST_DATABASE_URL is not set: no PostgreSQL server to test on.');
  const name = `test_${randomUUID().replace(/-/g, '')}`;
  const admin = openPostgres({ url: adminUrl, poolMax: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.close();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = openPostgres({ url: url.toString(), poolMax: 5 });
  return {
    ...db,
    url: url.toString(),
    close: async () => {
      await db.close();
      const dropper = openPostgres({ url: adminUrl, poolMax: 1 });
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.close();
    },
  };
}

/**
 * A test that needs a real PostgreSQL server: it runs when TEST_DATABASE_URL is set, and is
 * listed as a todo that says why otherwise (so a run without a server shows what it did not test).
 */
export function itOnPostgres(name: string, test: () => Promise<void>, timeoutMs?: number): void {
  requireServerUnderCi();
  if (testDatabaseUrl() === undefined) it.todo(`${name} (not run: TEST_DATABASE_URL is not set)`);
  else it(name, test, timeoutMs);
}

export interface ServiceContext {
  /** A fresh database of the engine, with the service's migrations applied. */
  readonly db: TestDatabase;
  /** A started runtime whose readiness checks that database, logging into `logs`. */
  readonly runtime: ServiceRuntime;
  /** Every log line written, raw. */
  readonly logs: string[];
  /** Shuts the runtime down and drops the database. */
  close(): Promise<void>;
}

/**
 * What a service's tests build its real app on: a migrated database of the given engine and a
 * runtime as the process would have it, its logs captured.
 */
export async function serviceContext(options: {
  service: string;
  engine: Engine;
  migrationsDir: string;
  logLevel?: LogLevel;
}): Promise<ServiceContext> {
  const db = await createTestDatabase(options.engine);
  await migrate(db, loadMigrations(options.migrationsDir));
  const logs: string[] = [];
  const runtime = createRuntime({
    service: options.service,
    version: 'test',
    logLevel: options.logLevel ?? 'debug',
    processMetrics: false,
    logDestination: new Writable({
      write(chunk, _encoding, done) {
        logs.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    }),
  });
  runtime.health.register(databaseHealthCheck(db));
  runtime.health.markStarted();
  return {
    db,
    runtime,
    logs,
    close: async () => {
      await runtime.shutdown();
      await db.close();
    },
  };
}
