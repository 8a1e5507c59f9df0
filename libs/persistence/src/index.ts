export {
  DATABASE_RETRY_AFTER_SECONDS,
  isUnavailable,
  isUniqueViolation,
  translateDatabaseError,
  UNIQUE_VIOLATION,
  type ConnectionStats,
  type Database,
  type Engine,
  type Queryable,
  type QueryResult,
  type Session,
} from './database';
export {
  loadMigrations,
  migrate,
  MIGRATION_LOCK_KEY,
  MigrationError,
  type Migration,
  type MigrationReport,
} from './migrations';
export { databaseHealthCheck, openDatabase, type OpenDatabaseOptions } from './open';
export { decodeCursor, encodeCursor, nextCursor } from './cursor';
export { databaseSettings, startDatabase, type DatabaseConfig, type DatabaseHost } from './service-database';
export {
  IdempotencyStore,
  idempotencyTimes,
  requestFingerprint,
  type IdempotencyKeys,
  type AbandonedKey,
  type IdempotencyOptions,
  type IdempotencyStart,
} from './idempotency';
export { Checkpoints, type Checkpoint, type CheckpointStore } from './checkpoints';
