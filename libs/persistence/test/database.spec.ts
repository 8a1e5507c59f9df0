import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProblemError } from '@platform/errors';
import {
  decodeCursor,
  encodeCursor,
  isUniqueViolation,
  loadMigrations,
  migrate,
  MigrationError,
  openDatabase,
  type Database,
} from '../src/index';
import { createTestDatabase, testEngines } from '../src/testing';

const migrations = loadMigrations(join(__dirname, 'fixtures/migrations'));

describe.each(testEngines())('database on %s', (engine) => {
  let db: Database;
  beforeEach(async () => {
    db = await createTestDatabase(engine);
  });
  afterEach(() => db.close());

  it('applies migrations once, records them, and finds nothing to do the second time', async () => {
    expect(await migrate(db, migrations)).toEqual({
      applied: ['001_create_notes', '002_add_author'],
      alreadyApplied: 0,
    });
    expect(await migrate(db, migrations)).toEqual({ applied: [], alreadyApplied: 2 });
    const { rows } = await db.query<{ version: number; name: string }>(
      'SELECT version, name FROM schema_migrations ORDER BY version',
    );
    expect(rows).toEqual([
      { version: 1, name: '001_create_notes' },
      { version: 2, name: '002_add_author' },
    ]);
  });

  it('lets two instances migrate at once without racing', async () => {
    const results = await Promise.all([migrate(db, migrations), migrate(db, migrations), migrate(db, migrations)]);
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, 2]);
    expect((await db.query('SELECT * FROM schema_migrations')).rowCount).toBe(2);
  });

  it('stops on a failing migration with a clear message and leaves it unapplied', async () => {
    const failing = loadMigrations(join(__dirname, 'fixtures/failing'));
    await expect(migrate(db, failing)).rejects.toThrow(MigrationError);
    await expect(migrate(db, failing)).rejects.toThrow(
      /^Migration 002_broken failed: column "tags" of relation "notes" already exists$/,
    );
    const { rows } = await db.query<{ name: string }>('SELECT name FROM schema_migrations');
    expect(rows.map((r) => r.name)).toEqual(['001_create_notes']);
    const columns = await db.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'tags'",
    );
    expect(columns.rowCount).toBe(0);
  });

  it('refuses to run when an applied migration was edited', async () => {
    await migrate(db, migrations);
    const edited = migrations.map((m) => (m.version === 1 ? { ...m, checksum: 'different' } : m));
    await expect(migrate(db, edited)).rejects.toThrow(/Migration 001_create_notes was changed after it was applied/);
  });

  it('commits a transaction as a whole or not at all', async () => {
    await migrate(db, migrations);
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [randomUUID(), 'first']);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await db.query('SELECT * FROM notes')).rowCount).toBe(0);
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [randomUUID(), 'a']);
      await tx.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [randomUUID(), 'b']);
    });
    expect((await db.query('SELECT * FROM notes')).rowCount).toBe(2);
  });

  it('reports unique violations by constraint, counts changed rows, and returns int8 as numbers', async () => {
    await migrate(db, migrations);
    await db.query('INSERT INTO notes (id, body, author) VALUES ($1, $2, $3)', [randomUUID(), 'x', 'Ada']);
    const duplicate = await db
      .query('INSERT INTO notes (id, body, author) VALUES ($1, $2, $3)', [randomUUID(), 'x', 'ADA'])
      .catch((e: unknown) => e);
    expect(isUniqueViolation(duplicate, 'notes_author_body')).toBe(true);
    expect((await db.query("UPDATE notes SET body = 'y' WHERE author = 'Ada'")).rowCount).toBe(1);
    const { rows } = await db.query<{ n: number; seq: number }>('SELECT count(*) AS n, max(seq) AS seq FROM notes');
    expect(rows[0]).toEqual({ n: 1, seq: 1 });
  });

  it('answers its readiness ping, and fails it once closed', async () => {
    await expect(db.ping()).resolves.toBeUndefined();
  });
});

describe('embedded engine', () => {
  it('refuses to open under --jitless (no WebAssembly) with one line saying what to do', async () => {
    const global = globalThis as unknown as Record<string, unknown>;
    const webAssembly = global['WebAssembly'];
    // As under `node --jitless`, which pods run with the chart's nodeJitless: true.
    Reflect.deleteProperty(global, 'WebAssembly');
    try {
      await expect(openDatabase({})).rejects.toThrow(
        /^The embedded database \(no DATABASE_URL\) is PostgreSQL compiled to WebAssembly, which --jitless turns off: set DATABASE_URL, or run without --jitless$/,
      );
    } finally {
      global['WebAssembly'] = webAssembly;
    }
  });

  it('keeps its data across a restart in its folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pglite-'));
    try {
      const first = await openDatabase({ dataDir });
      await migrate(first, migrations);
      await first.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [randomUUID(), 'kept']);
      await first.close();
      const second = await openDatabase({ dataDir });
      expect(await migrate(second, migrations)).toEqual({ applied: [], alreadyApplied: 2 });
      expect((await second.query<{ body: string }>('SELECT body FROM notes')).rows).toEqual([{ body: 'kept' }]);
      await second.close();
      await expect(second.ping()).rejects.toThrow(/closed/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('PostgreSQL outage', () => {
  it('turns an unreachable server into a fast 503 problem', async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    const db = await openDatabase({ url: 'postgres://nobody@127.0.0.1:9/none', connectTimeoutMs: 500 });
    const started = performance.now();
    const error = await db.query('SELECT 1').catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(isProblemError(error) && error.status).toBe(503);
    expect(isProblemError(error) && error.headers).toEqual({ 'retry-after': '2' });
    await expect(db.ping()).rejects.toBeDefined();
    await db.close();
  });
});

describe('cursors', () => {
  it('round-trip and reject anything this service did not issue', () => {
    expect(decodeCursor(encodeCursor(42))).toBe(42);
    for (const bad of ['', 'abc', '!!', Buffer.from('s-1').toString('base64url'), 'x'.repeat(100)]) {
      expect(() => decodeCursor(bad)).toThrow(/cursor/);
    }
  });
});
