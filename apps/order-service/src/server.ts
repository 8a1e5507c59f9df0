import type { Server } from 'node:http';
import { join } from 'node:path';
import { startDatabase } from '@platform/persistence';
import { createAuthenticator, createRuntime, loadConfig, type ServiceRuntime } from '@platform/runtime';
import { buildApp } from './app';
import { configSpec, SERVICE_NAME } from './config';
import { paymentAttemptStaleMs } from './settings';

/** Starts order-service from its environment: config, database and migrations, then the listener. */
export async function start(environment: NodeJS.ProcessEnv): Promise<ServiceRuntime> {
  const config = loadConfig(configSpec, environment);
  const runtime = createRuntime({ service: SERVICE_NAME, ...config });
  const db = await startDatabase(runtime, config, join(__dirname, 'migrations'));
  const app = await buildApp({
    runtime,
    auth: createAuthenticator(config, runtime.logger),
    db,
    settings: { ...config, paymentAttemptStaleMs: paymentAttemptStaleMs(config) },
  });
  runtime.onClose('nest', () => app.close());
  await runtime.listen(app.getHttpServer() as Server, config.port, config.host);
  return runtime;
}
