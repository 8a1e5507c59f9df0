import { Writable } from 'node:stream';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, trace } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { createLogger, logCompletedRequest, requestIdFrom } from '../src/index';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { lines, raw, destination };
}

describe('createLogger', () => {
  it('writes one JSON line with the shared schema', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'svc', version: '1.2.3', destination });
    log.info({ order_id: 'o1' }, 'hello');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', service: 'svc', version: '1.2.3', msg: 'hello', order_id: 'o1' });
    expect(typeof lines[0]?.['time']).toBe('string');
    expect(Number.isNaN(Date.parse(String(lines[0]?.['time'])))).toBe(false);
  });

  it('honours the level', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'svc', version: '1', level: 'warn', destination });
    log.info('dropped');
    log.warn('kept');
    expect(lines.map((l) => l['msg'])).toEqual(['kept']);
  });

  it('never writes a card number, header secret or password, even nested or in the message', () => {
    const { raw, destination } = capture();
    const log = createLogger({ service: 'svc', version: '1', destination });
    log.info(
      {
        headers: { authorization: 'Bearer s3cr3t', cookie: 'session=abc' },
        body: { card: { number: '4242424242424242' }, password: 'pw' },
      },
      'paid with 4000 0566 5566 5556',
    );
    log.error({ err: new Error('declined card 5555555555554444') }, 'failure');
    const all = raw.join('\n');
    for (const secret of [
      's3cr3t',
      'session=abc',
      '4242424242424242',
      '4000 0566 5566 5556',
      '5555555555554444',
      '"pw"',
    ]) {
      expect(all).not.toContain(secret);
    }
  });

  it('adds trace_id and span_id while a span is active, and not otherwise', () => {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    const provider = new TracerProvider();
    const tracer = provider.getTracer('test');
    const { lines, destination } = capture();
    const log = createLogger({ service: 'svc', version: '1', destination });
    const span = tracer.startSpan('work');
    context.with(trace.setSpan(context.active(), span), () => log.info('inside'));
    span.end();
    log.info('outside');
    expect(lines[0]).toMatchObject({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
    expect(lines[1]).not.toHaveProperty('trace_id');
    context.disable();
  });
});

describe('requestIdFrom', () => {
  it('keeps a plain caller id and replaces a missing or unsafe one with a UUID', () => {
    expect(requestIdFrom('abc-123')).toBe('abc-123');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
    for (const bad of [undefined, '', 'has space', 'x'.repeat(129), 'new\nline']) {
      expect(requestIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('error serialization', () => {
  it('keeps message and stack but drops the values a database driver attaches', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _e: string, done: () => void) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger({ service: 'svc', version: '1', destination });
    const error = Object.assign(new Error('duplicate key'), { code: '23505', params: ['ada@example.com', 'Ada'] });
    log.error({ err: error }, 'failed');
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.err).toMatchObject({ message: 'duplicate key', code: '23505', type: 'Error' });
    expect(line.err.stack).toContain('duplicate key');
    expect(lines[0]).not.toContain('ada@example.com');
  });
});

describe('logCompletedRequest', () => {
  it('writes the same line as the logger would, in the same key order, at the level the status calls for', () => {
    const { raw, destination } = capture();
    const log = createLogger({ service: 'svc', version: '1.2.3', destination, level: 'debug' });
    const fields = { request_id: 'req-1', method: 'GET', route: '/users/:id', status_code: 200, duration_ms: 1.235 };
    log.info(fields, 'request completed');
    logCompletedRequest(log, {
      requestId: 'req-1',
      method: 'GET',
      route: '/users/:id',
      statusCode: 200,
      durationMs: 1.2345,
    });
    logCompletedRequest(log, { requestId: 'req-2', method: 'POST', route: '/users', statusCode: 503, durationMs: 3 });
    logCompletedRequest(log, {
      requestId: 'req-3',
      method: 'GET',
      route: '/health/ready',
      statusCode: 200,
      durationMs: 1,
    });
    const [viaPino, fast, failed, probe] = raw.map((line) => JSON.parse(line) as Record<string, unknown>);
    const withoutTime = ({ time: _t, ...rest }: Record<string, unknown> = {}) => rest;
    expect(withoutTime(fast)).toEqual(withoutTime(viaPino));
    expect(Object.keys(fast ?? {})).toEqual(Object.keys(viaPino ?? {}));
    expect(failed).toMatchObject({ level: 'error', status_code: 503, request_id: 'req-2' });
    expect(probe).toMatchObject({ level: 'debug', route: '/health/ready' });
  });

  it('names the principal, escaped and with a card-like number redacted, as pino would write it', () => {
    const { raw, destination } = capture();
    const log = createLogger({ service: 'svc', version: '1', destination });
    const fields = { request_id: 'r', method: 'GET', route: '/x', status_code: 200, duration_ms: 1 };
    log.info({ ...fields, principal: 'ada "the first"' }, 'request completed');
    logCompletedRequest(log, {
      requestId: 'r',
      method: 'GET',
      route: '/x',
      statusCode: 200,
      durationMs: 1,
      principal: 'ada "the first"',
    });
    logCompletedRequest(log, {
      requestId: 'r',
      method: 'GET',
      route: '/x',
      statusCode: 200,
      durationMs: 1,
      principal: 'card-4111111111111111',
    });
    const [viaPino, fast, card] = raw.map((line) => JSON.parse(line) as Record<string, unknown>);
    const withoutTime = ({ time: _t, ...rest }: Record<string, unknown> = {}) => rest;
    expect(withoutTime(fast)).toEqual(withoutTime(viaPino));
    expect(Object.keys(fast ?? {})).toEqual(Object.keys(viaPino ?? {}));
    expect(card?.['principal']).toBe('card-[REDACTED-PAN]');
  });

  it('carries the active span’s trace ids, and writes nothing below the logger’s level', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'svc', version: '1', destination, level: 'warn' });
    logCompletedRequest(log, { requestId: 'r', method: 'GET', route: '/x', statusCode: 200, durationMs: 1 });
    expect(lines).toEqual([]);
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    const span = new TracerProvider().getTracer('t').startSpan('s');
    context.with(trace.setSpan(context.active(), span), () =>
      logCompletedRequest(log, { requestId: 'r', method: 'GET', route: '/x', statusCode: 500, durationMs: 1 }),
    );
    expect(lines[0]).toMatchObject({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
    context.disable();
  });
});
