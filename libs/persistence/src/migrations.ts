import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './database';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

const FILE_NAME = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

/** Reads `NNN_description.sql` files from a folder, in version order. */
export function loadMigrations(folder: string): Migration[] {
  const migrations = readdirSync(folder)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE_NAME.exec(file);
      if (match === null) {
        throw new MigrationError(
          `Migration file ${join(folder, file)} must be named NNN_description.sql (lower case).`,
        );
      }
      const sql = readFileSync(join(folder, file), 'utf8');
      return {
        version: Number(match[1]),
        name: file.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (index > 0 && migrations[index - 1]?.version === migration.version) {
      throw new MigrationError(`Two migrations in ${folder} have version ${migration.version}.`);
    }
  });
  return migrations;
}

/** One advisory lock key for "schema migrations of this database" (each service owns its database). */
export const MIGRATION_LOCK_KEY = 7_204_117_001;

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly alreadyApplied: number;
}

/**
 * Brings the schema up to date. Runs under a session-level advisory lock, so replicas starting
 * together take turns and the second finds nothing left to do; each migration commits with its
 * record in `schema_migrations` in one transaction, so a failure leaves no half-applied version.
 * An applied migration whose file has since changed stops the start: history is not rewritten.
 */
export async function migrate(db: Database, migrations: readonly Migration[]): Promise<MigrationReport> {
  return db.withSession(async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await session.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await session.query<{ version: number; name: string; checksum: string }>(
        'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
      );
      const applied = new Map(rows.map((row) => [row.version, row]));
      for (const migration of migrations) {
        const record = applied.get(migration.version);
        if (record !== undefined && record.checksum !== migration.checksum) {
          throw new MigrationError(
            `Migration ${migration.name} was changed after it was applied (as ${record.name}); add a new migration instead.`,
          );
        }
      }
      const pending = migrations.filter((migration) => !applied.has(migration.version));
      for (const migration of pending) {
        try {
          await db.transaction(async (tx) => {
            await tx.exec(migration.sql);
            await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
              migration.version,
              migration.name,
              migration.checksum,
            ]);
          });
        } catch (error) {
          throw new MigrationError(`Migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
        }
      }
      return { applied: pending.map((m) => m.name), alreadyApplied: migrations.length - pending.length };
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  });
}
