// Loaded with `node -r` before main, so OpenTelemetry patches http and express as they load.
import { startTracing } from '@platform/tracing';

startTracing({ serviceName: 'user-service', framework: 'express' });
