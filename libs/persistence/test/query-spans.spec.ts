import { context, trace } from '@opentelemetry/api';
import { currentTracing, startTracing } from '@platform/tracing';
import { OtlpReceiver } from '@platform/testing';
import { openDatabase } from '../src/index';
import { createTestDatabase, itOnPostgres, testDatabaseUrl } from '../src/testing';

describe('readiness of a busy database', () => {
  itOnPostgres(
    'answers at once though every pooled connection is busy, as it pings on a connection of its own',
    async () => {
      const scratch = await createTestDatabase('postgres');
      const db = await openDatabase({
        url: scratch.url,
        poolMax: 2,
        connectTimeoutMs: 1_000,
        statementTimeoutMs: 5_000,
      });
      try {
        const busy = Promise.all([db.query('SELECT pg_sleep(3)'), db.query('SELECT pg_sleep(3)')]);
        // Ordered, not timed: the ping is answered while both pooled connections are still busy.
        const first = await Promise.race([db.ping().then(() => 'ping'), busy.then(() => 'pool')]);
        expect(first).toBe('ping');
        await busy;
      } finally {
        await db.close();
        await scratch.close();
      }
    },
  );

  it('fails while the server cannot be reached, every time it is asked', async () => {
    // Nothing listens on port 9: every connection is refused.
    const db = await openDatabase({ url: 'postgres://nobody@127.0.0.1:9/none', poolMax: 2, connectTimeoutMs: 500 });
    try {
      await expect(db.ping()).rejects.toThrow();
      await expect(db.ping()).rejects.toThrow();
    } finally {
      await db.close();
    }
  });
});

describe('query spans', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = receiver.endpoint;
    process.env['OTEL_BSP_SCHEDULE_DELAY'] = '20';
    startTracing({ serviceName: 'persistence-test', serviceVersion: '1', enabled: true });
  });
  afterAll(async () => {
    await currentTracing().shutdown();
    await receiver.close();
  });

  it('makes a client span per query of a sampled request, with the statement and never its values', async () => {
    const db = await openDatabase({ url: testDatabaseUrl() });
    try {
      await db.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
      // Outside any request: no span.
      await db.query('SELECT count(*) FROM notes');
      const parent = trace.getTracer('test').startSpan('request');
      await context.with(trace.setSpan(context.active(), parent), async () => {
        await db.query('INSERT INTO notes (id, body) VALUES ($1, $2)', [1, 'a secret body']);
        await db.transaction((tx) => tx.query('SELECT body FROM notes WHERE id = $1', [1]));
      });
      parent.end();
      const insert = await receiver.waitFor((s) => s.name === 'INSERT notes');
      const select = await receiver.waitFor((s) => s.name === 'SELECT notes');
      for (const span of [insert, select]) {
        expect(span).toMatchObject({ kind: 3, traceId: parent.spanContext().traceId });
        expect(span.parentSpanId).toBe(parent.spanContext().spanId);
        expect(span.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.collection.name': 'notes' });
      }
      expect(insert.attributes['db.query.text']).toBe('INSERT INTO notes (id, body) VALUES ($1, $2)');
      expect(JSON.stringify(receiver.spans)).not.toContain('a secret body');
      expect(receiver.spans.filter((s) => String(s.attributes['db.query.text']).startsWith('SELECT count'))).toEqual(
        [],
      );
    } finally {
      await db.close();
    }
  });
});
