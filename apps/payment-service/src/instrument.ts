// Loaded with `node -r` before main, so OpenTelemetry patches http and fastify as they load.
import { startTracing } from '@platform/tracing';

startTracing({ serviceName: 'payment-service', framework: 'fastify' });
