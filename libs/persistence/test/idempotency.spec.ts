import { join } from 'node:path';
import {
  IdempotencyStore,
  loadMigrations,
  migrate,
  requestFingerprint,
  type Database,
  type IdempotencyKeys,
  type IdempotencyOptions,
  type Queryable,
} from '../src/index';
import { createTestDatabase, InMemoryIdempotencyKeys, InMemoryTransactions, testEngines } from '../src/testing';

const migrations = loadMigrations(join(__dirname, 'fixtures/idempotency'));
const result = '{"id":"1","b":2,"a":1}';

/** A store under test: the SQL on a real engine, or the in-memory one domain tests use; one contract. */
interface Subject {
  store(options: IdempotencyOptions): IdempotencyKeys;
  /** Runs `work` in a transaction over the store, as its owner records outcomes. */
  transaction(store: IdempotencyKeys, work: (tx: Queryable) => Promise<void>): Promise<void>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

const subjects: [string, () => Promise<Subject>][] = [
  [
    'in memory',
    async () => ({
      store: (options) => new InMemoryIdempotencyKeys(options),
      transaction: (store, work) => new InMemoryTransactions(store as InMemoryIdempotencyKeys).transaction(work),
      reset: async () => undefined,
      close: async () => undefined,
    }),
  ],
  ...testEngines().map((engine): [string, () => Promise<Subject>] => [
    engine,
    async () => {
      const db: Database = await createTestDatabase(engine);
      await migrate(db, migrations);
      return {
        store: (options) => new IdempotencyStore(db, options),
        transaction: (_store, work) => db.transaction(work),
        reset: async () => void (await db.query('DELETE FROM idempotency_keys')),
        close: () => db.close(),
      };
    },
  ]),
];

describe.each(subjects)('idempotency keys %s', (_name, open) => {
  let subject: Subject;
  let clock: Date;
  let store: IdempotencyKeys;
  beforeAll(async () => {
    subject = await open();
  });
  afterAll(() => subject.close());
  beforeEach(async () => {
    await subject.reset();
    clock = new Date('2026-01-01T00:00:00Z');
    store = subject.store({ staleAfterMs: 30_000, now: () => clock });
  });

  it('replays the first outcome exactly', async () => {
    expect(await store.begin('s', 'k1', 'h')).toEqual({ state: 'started' });
    await subject.transaction(store, (tx) => store.complete(tx, 's', 'k1', result));
    expect(await store.begin('s', 'k1', 'h')).toEqual({ state: 'replay', result });
  });

  it('takes over the keys left in progress past the stale time, once, with the request they were for', async () => {
    await store.begin('s', 'old', 'h', '{"amount":1}');
    await store.begin('s', 'done', 'h', '{"amount":2}');
    await subject.transaction(store, (tx) => store.complete(tx, 's', 'done', result));
    clock = new Date(clock.getTime() + 10_000);
    await store.begin('s', 'young', 'h');
    expect(await store.takeOverAbandoned('s')).toEqual([]);
    clock = new Date(clock.getTime() + 25_000);
    expect(await store.takeOverAbandoned('s')).toEqual([{ key: 'old', request: '{"amount":1}' }]);
    expect(await store.takeOverAbandoned('other')).toEqual([]);
    // Taken over: locked afresh, so neither another settler nor a retry takes it now.
    expect(await store.takeOverAbandoned('s')).toEqual([]);
    expect(await store.begin('s', 'old', 'h')).toEqual({ state: 'in-progress' });
    clock = new Date(clock.getTime() + 31_000);
    expect((await store.takeOverAbandoned('s')).map((k) => k.key).sort()).toEqual(['old', 'young']);
  });

  it('refuses the same key with a different request, and tells a concurrent retry it is in progress', async () => {
    await store.begin('s', 'k2', 'h');
    expect(await store.begin('s', 'k2', 'h')).toEqual({ state: 'in-progress' });
    expect(await store.begin('s', 'k2', 'other')).toEqual({ state: 'mismatch' });
    expect(await store.begin('other-scope', 'k2', 'h')).toEqual({ state: 'started' });
  });

  it('lets exactly one of many concurrent requests claim a key', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => store.begin('s', 'race', 'h')));
    expect(results.filter((r) => r.state === 'started')).toHaveLength(1);
    expect(results.filter((r) => r.state === 'in-progress')).toHaveLength(19);
  });

  it('gives a released key to the next retry', async () => {
    await store.begin('s', 'k3', 'h');
    await store.release('s', 'k3');
    expect(await store.begin('s', 'k3', 'h')).toEqual({ state: 'started' });
  });

  it('lets a retry of the same request take over a key stuck in progress, but not a different request', async () => {
    await store.begin('s', 'k4', 'h');
    clock = new Date(clock.getTime() + 31_000);
    expect(await store.begin('s', 'k4', 'other')).toEqual({ state: 'mismatch' });
    expect(await store.begin('s', 'k4', 'h')).toEqual({ state: 'started' });
  });

  it('abandons a key at once: still claimed, and taken over now by whoever settles it', async () => {
    await store.begin('s', 'k6', 'h', '{"amount":6}');
    expect(await store.takeOverAbandoned('s')).toEqual([]);
    await store.abandon('s', 'k6');
    expect(await store.inProgress('s', 'k6')).toBe(true);
    expect(await store.takeOverAbandoned('s')).toEqual([{ key: 'k6', request: '{"amount":6}' }]);
  });

  it('keeps no outcome recorded in a transaction that failed', async () => {
    await store.begin('s', 'k7', 'h');
    await expect(
      subject.transaction(store, async (tx) => {
        await store.complete(tx, 's', 'k7', result);
        throw new Error('the write after it failed');
      }),
    ).rejects.toThrow('the write after it failed');
    expect(await store.begin('s', 'k7', 'h')).toEqual({ state: 'in-progress' });
  });

  it('keeps keys at least 24 hours, then forgets them', async () => {
    await store.begin('s', 'k5', 'h');
    await subject.transaction(store, (tx) => store.complete(tx, 's', 'k5', result));
    clock = new Date(clock.getTime() + 23 * 3600_000);
    expect((await store.begin('s', 'k5', 'h')).state).toBe('replay');
    expect(await store.purgeExpired()).toBe(0);
    clock = new Date(clock.getTime() + 2 * 3600_000);
    expect(await store.purgeExpired()).toBe(1);
    expect(await store.begin('s', 'k5', 'h')).toEqual({ state: 'started' });
  });
});

describe('requestFingerprint', () => {
  it('ignores key order but nothing else', () => {
    expect(requestFingerprint({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(
      requestFingerprint({ b: { d: 'x', c: [1, 2] }, a: 1 }),
    );
    expect(requestFingerprint({ a: 1 })).not.toBe(requestFingerprint({ a: 2 }));
    expect(requestFingerprint({ a: [1, 2] })).not.toBe(requestFingerprint({ a: [2, 1] }));
    expect(requestFingerprint('p1', {})).not.toBe(requestFingerprint('p2', {}));
  });
});
