import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LogLevel } from '@platform/logging';
import { createRuntime, type ServiceRuntime } from '@platform/runtime';
import type { Checkpoint, CheckpointStore } from './checkpoints';
import type { Database, Engine, Queryable } from './database';
import {
  type AbandonedKey,
  type IdempotencyKeys,
  type IdempotencyOptions,
  type IdempotencyStart,
  idempotencyTimes,
} from './idempotency';
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

/** `CheckpointStore` in memory, for domain tests: the same rule, no database. */
export class InMemoryCheckpoints implements CheckpointStore {
  readonly #positions = new Map<string, Checkpoint>();

  async get(name: string): Promise<Checkpoint | undefined> {
    return this.#positions.get(name);
  }

  async advance(name: string, to: Checkpoint): Promise<void> {
    const at = this.#positions.get(name);
    if (at === undefined || at.at < to.at || (at.at === to.at && at.afterKey < to.afterKey))
      this.#positions.set(name, { ...to });
  }
}

/** An in-memory store whose state a transaction can put back. */
export interface Snapshotting {
  snapshot(): unknown;
  restore(state: unknown): void;
}

/** A transaction handle of in-memory stores: they ignore it, and SQL through it is a mistake. */
const IN_MEMORY_TX: Queryable = {
  query: () => Promise.reject(new Error('in-memory stores take no SQL')),
};

/**
 * Transactions over in-memory stores, for domain tests: `work` sees its own writes, and a failure
 * puts every store back as it was, as a rollback would. Not isolated: tests run one request at a time.
 */
export class InMemoryTransactions {
  readonly #stores: readonly Snapshotting[];

  constructor(...stores: Snapshotting[]) {
    this.#stores = stores;
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const before = this.#stores.map((store) => store.snapshot());
    try {
      return await work(IN_MEMORY_TX);
    } catch (error) {
      this.#stores.forEach((store, index) => store.restore(before[index]));
      throw error;
    }
  }
}

interface KeyEntry {
  readonly scope: string;
  readonly key: string;
  requestHash: string;
  request: string | null;
  state: 'in_progress' | 'completed';
  result: string | null;
  lockedAt: number;
  expiresAt: number;
}

/** `IdempotencyKeys` in memory, for domain tests: the rules of `IdempotencyStore`'s SQL, no database. */
export class InMemoryIdempotencyKeys implements IdempotencyKeys, Snapshotting {
  #keys = new Map<string, KeyEntry>();
  readonly #ttlMs: number;
  readonly #staleAfterMs: number;
  readonly #now: () => Date;

  constructor(options: IdempotencyOptions = {}) {
    ({ ttlMs: this.#ttlMs, staleAfterMs: this.#staleAfterMs } = idempotencyTimes(options));
    this.#now = options.now ?? (() => new Date());
  }

  /** The keys of `scope` still in progress, with the requests they were for. */
  inProgressKeys(scope: string): AbandonedKey[] {
    return [...this.#keys.values()]
      .filter((entry) => entry.scope === scope && entry.state === 'in_progress')
      .map(({ key, request }) => ({ key, request }));
  }

  async begin(scope: string, key: string, fingerprint: string, request?: string): Promise<IdempotencyStart> {
    const now = this.#now().getTime();
    const entry = this.#keys.get(id(scope, key));
    const claimable =
      entry === undefined ||
      entry.expiresAt < now ||
      (entry.state === 'in_progress' && entry.lockedAt < now - this.#staleAfterMs && entry.requestHash === fingerprint);
    if (claimable) {
      this.#keys.set(id(scope, key), {
        scope,
        key,
        requestHash: fingerprint,
        request: request ?? null,
        state: 'in_progress',
        result: null,
        lockedAt: now,
        expiresAt: now + this.#ttlMs,
      });
      return { state: 'started' };
    }
    if (entry.requestHash !== fingerprint) return { state: 'mismatch' };
    if (entry.state === 'in_progress' || entry.result === null) return { state: 'in-progress' };
    return { state: 'replay', result: entry.result };
  }

  async complete(_tx: Queryable, scope: string, key: string, result: string): Promise<void> {
    const entry = this.#keys.get(id(scope, key));
    if (entry === undefined) return;
    entry.state = 'completed';
    entry.result = result;
  }

  async takeOverAbandoned(scope: string, limit = 100): Promise<AbandonedKey[]> {
    const now = this.#now().getTime();
    const abandoned = [...this.#keys.values()]
      .filter((e) => e.scope === scope && e.state === 'in_progress' && e.lockedAt < now - this.#staleAfterMs)
      .sort((a, b) => a.lockedAt - b.lockedAt)
      .slice(0, limit);
    for (const entry of abandoned) entry.lockedAt = now;
    return abandoned.map(({ key, request }) => ({ key, request }));
  }

  async abandon(scope: string, key: string): Promise<void> {
    const entry = this.#keys.get(id(scope, key));
    if (entry?.state === 'in_progress') entry.lockedAt = this.#now().getTime() - this.#staleAfterMs - 1;
  }

  async inProgress(scope: string, key: string): Promise<boolean> {
    return this.#keys.get(id(scope, key))?.state === 'in_progress';
  }

  async release(scope: string, key: string): Promise<void> {
    if (this.#keys.get(id(scope, key))?.state === 'in_progress') this.#keys.delete(id(scope, key));
  }

  async purgeExpired(): Promise<number> {
    const now = this.#now().getTime();
    const expired = [...this.#keys.entries()].filter(([, entry]) => entry.expiresAt < now);
    for (const [name] of expired) this.#keys.delete(name);
    return expired.length;
  }

  snapshot(): unknown {
    return structuredClone(this.#keys);
  }

  restore(state: unknown): void {
    this.#keys = state as Map<string, KeyEntry>;
  }
}

const id = (scope: string, key: string) => `${scope}\u0000${key}`;
