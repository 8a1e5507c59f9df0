import { Writable } from 'node:stream';
import { join } from 'node:path';
import { databaseHealthCheck, type Engine, loadMigrations, migrate } from '@platform/persistence';
import { createTestDatabase, type TestDatabase } from '@platform/persistence/testing';
import { createRuntime, type ServiceRuntime } from '@platform/runtime';
import type { Express } from 'express';
import { buildApp } from '../src/app';
import { UserRepository } from '../src/users/user-repository';
import { Users } from '../src/users/users';

export const migrations = loadMigrations(join(__dirname, '../src/migrations'));

export interface TestService {
  app: Express;
  db: TestDatabase;
  runtime: ServiceRuntime;
  logs: string[];
  close(): Promise<void>;
}

/** The real app on a fresh, migrated database of the given engine. */
export async function startTestService(engine: Engine): Promise<TestService> {
  const db = await createTestDatabase(engine);
  await migrate(db, migrations);
  const logs: string[] = [];
  const runtime = createRuntime({
    service: 'user-service',
    version: 'test',
    logLevel: 'debug',
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
  const app = buildApp({ runtime, users: new Users(new UserRepository(db)) });
  return {
    app,
    db,
    runtime,
    logs,
    close: async () => {
      await runtime.shutdown();
      await db.close();
    },
  };
}
