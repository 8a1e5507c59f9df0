// Loaded with `node -r` before main, so OpenTelemetry patches http, express and Nest as they load.
import { startTracing } from '@platform/tracing';

startTracing({ serviceName: 'order-service', framework: 'nest' });
