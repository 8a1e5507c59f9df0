import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redactLine } from './redact';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';

export interface LoggerConfig {
  readonly service: string;
  readonly version: string;
  readonly level?: LogLevel;
  /** `pretty` is for a developer's terminal and needs the pino-pretty dev dependency. */
  readonly format?: LogFormat;
  /** Where lines go (tests pass a stream); stdout by default. */
  readonly destination?: DestinationStream;
}

/** The active span's ids on every line, so a log line leads to its trace. */
export function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
}

/**
 * `,"time":"2026-11-27T12:00:00.123Z"`, as pino's isoTime writes it, without building a Date and
 * its ISO string on every line: the part up to the second is kept while the second lasts.
 */
export function isoTime(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== isoTime.second) {
    isoTime.second = second;
    isoTime.prefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  const ms = now - second * 1000;
  return `,"time":"${isoTime.prefix}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
}
isoTime.second = -1;
isoTime.prefix = '';

/**
 * Errors with their type, message, stack and cause, minus the values a database driver attaches
 * (`params`: the row being written, which may hold personal data).
 */
function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (serialized !== null && typeof serialized === 'object') delete serialized['params'];
  return serialized;
}

function prettyStream(): DestinationStream {
  try {
    const pretty = require('pino-pretty') as (options: object) => DestinationStream;
    return pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service,version' });
  } catch {
    throw new Error('LOG_FORMAT=pretty needs the pino-pretty package, which is a development dependency.');
  }
}

/**
 * The one logger of a process: JSON lines on stdout with one schema across services
 * (`time`, `level`, `service`, `version`, `msg`, then fields), trace ids when a span is active,
 * and secrets redacted from the finished line whatever field they hide in.
 */
export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { service: config.service, version: config.version },
    timestamp: isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
    hooks: { streamWrite: redactLine },
    serializers: { err: serializeError, error: serializeError },
  };
  const destination =
    config.destination ??
    (config.format === 'pretty' ? prettyStream() : pino.destination({ dest: 1, sync: false, minLength: 0 }));
  return pino(options, destination);
}
