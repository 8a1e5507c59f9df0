import type { Server } from 'node:http';
import { join } from 'node:path';
import { startDatabase } from '@platform/persistence';
import { createAuthenticator, createRuntime, loadConfig, type ServiceRuntime } from '@platform/runtime';
import { buildApp } from './app';
import { compose } from './compose';
import { configSpec, SERVICE_NAME } from './config';

/** Starts order-service from its environment: config, database and migrations, its parts, the listener, its jobs. */
export async function start(environment: NodeJS.ProcessEnv): Promise<ServiceRuntime> {
  const config = loadConfig(configSpec, environment);
  const runtime = createRuntime({ service: SERVICE_NAME, ...config });
  const db = await startDatabase(runtime, config, join(__dirname, 'migrations'));
  const service = compose(config, runtime, db);
  const app = await buildApp({ runtime, auth: createAuthenticator(config, runtime.logger), service });
  runtime.onClose('nest', () => app.close());
  await runtime.listen(app.getHttpServer() as Server, config.port, config.host);
  runtime.runJobs(service.jobs);
  return runtime;
}
