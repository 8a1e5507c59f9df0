import { randomUUID } from 'node:crypto';
import type { Database, Engine } from './database';
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

/** The engines the tests run on here: `['pglite']`, plus `'postgres'` when TEST_DATABASE_URL is set. */
export function testEngines(): Engine[] {
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
  if (testDatabaseUrl() === undefined) it.todo(`${name} (not run: TEST_DATABASE_URL is not set)`);
  else it(name, test, timeoutMs);
}
