import { createServer } from 'node:http';
import { join } from 'node:path';
import { startDatabase } from '@platform/persistence';
import { createAuthenticator, createRuntime, loadConfig, type ServiceRuntime } from '@platform/runtime';
import { buildApp } from './app';
import { configSpec, SERVICE_NAME } from './config';
import { UserRepository } from './users/user-repository';
import { Users } from './users/users';

/** Starts user-service from its environment: config, database and migrations, then the listener. */
export async function start(environment: NodeJS.ProcessEnv): Promise<ServiceRuntime> {
  const config = loadConfig(configSpec, environment);
  const runtime = createRuntime({ service: SERVICE_NAME, ...config });
  const db = await startDatabase(runtime, config, join(__dirname, 'migrations'));
  const auth = createAuthenticator(config, runtime.logger);
  const app = buildApp({ runtime, auth, users: new Users(new UserRepository(db)) });
  await runtime.listen(createServer(app), config.port, config.host);
  return runtime;
}
