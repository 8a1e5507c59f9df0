import { join } from 'node:path';
import type { TestIssuer } from '@platform/auth/testing';
import type { Engine } from '@platform/persistence';
import { serviceContext, type ServiceContext } from '@platform/persistence/testing';
import { Authenticator } from '@platform/auth';
import type { Express } from 'express';
import { buildApp } from '../src/app';
import { compose } from '../src/compose';

export interface TestService extends ServiceContext {
  app: Express;
}

/** The real app on a fresh, migrated database of the given engine, trusting a real issuer. */
export async function startTestService(engine: Engine, issuer: TestIssuer): Promise<TestService> {
  const context = await serviceContext({
    service: 'user-service',
    engine,
    migrationsDir: join(__dirname, '../src/migrations'),
  });
  const auth = new Authenticator(issuer.trust('user-service'));
  return {
    ...context,
    app: buildApp({ runtime: context.runtime, auth, service: compose({}, context.runtime, context.db) }),
  };
}
