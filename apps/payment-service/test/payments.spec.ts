import { randomUUID } from 'node:crypto';
import { bearer, TestIssuer } from '@platform/auth/testing';
import {
  checkedAgent,
  ContractChecker,
  expectProblem,
  itServesItsCommittedContract,
} from '@platform/contracts/testing';
import { WORKSPACE_ROOT } from '@platform/testing';
import request from 'supertest';
import { IdempotencyStore, requestFingerprint } from '@platform/persistence';
import { testEngines } from '@platform/persistence/testing';
import { api as contract } from '../src/api';
import { PaymentRepository } from '../src/payments/payment-repository';
import type { StoredPayment } from '../src/payments/ports';
import { startTestService, type TestService } from './harness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const body = (overrides: Record<string, unknown> = {}) => ({
  amountCents: 2599,
  currency: 'EUR',
  reference: `order-${randomUUID()}`,
  method: { type: 'card', token: 'tok_visa' },
  ...overrides,
});

describe.each(testEngines())('payment-service API on %s', (engine) => {
  let issuer: TestIssuer;
  let service: TestService;
  let orderService: string;
  /** How far this service's clock is ahead: lets a key left in progress grow stale without waiting. */
  let skewMs = 0;
  let writes: FailingWrites;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
    service = await startTestService(engine, issuer, {
      providerTimeoutMs: 1_000,
      now: () => new Date(Date.now() + skewMs),
      repository: (db) => (writes = new FailingWrites(db)),
    });
    orderService = await issuer.workload('payment-service');
  });
  afterAll(async () => {
    await service.close();
    await issuer.close();
  });

  /** An agent for the caller with this token (none: no Authorization header). */
  const as = (token?: string) =>
    checkedAgent(request(service.app.server), checker, token === undefined ? {} : bearer(token));
  /** order-service, the one workload allowed to move money. */
  const api = () => as(orderService);
  // Every response these tests see must be one the service's OpenAPI document allows.
  const checker = new ContractChecker(contract.document);
  afterEach(() => expect(checker.violations.splice(0)).toEqual([]));

  itServesItsCommittedContract(
    WORKSPACE_ROOT,
    'payment-service',
    async () => (await request(service.app.server).get('/openapi.json').expect(200)).body,
  );
  const pay = (payload: object, key: string | null = randomUUID()) => {
    const req = api().post('/payments');
    return key === null ? req.send(payload) : req.set('idempotency-key', key).send(payload);
  };
  const paymentRows = async (reference: string) =>
    (await service.db.query<{ status: string }>('SELECT status FROM payments WHERE reference = $1', [reference])).rows;

  describe('POST /payments', () => {
    it('charges a card token: 201, SUCCEEDED, card brand and last4 only, Location', async () => {
      const payload = body();
      const res = await pay(payload).expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        status: 'SUCCEEDED',
        amountCents: 2599,
        currency: 'EUR',
        reference: payload.reference,
        method: { type: 'card', brand: 'visa', last4: '4242' },
        failureCode: null,
        refundId: null,
        createdAt: expect.any(String),
        updatedAt: res.body.createdAt,
      });
      expect(res.headers['location']).toBe(`/payments/${res.body.id}`);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      await api().get(`/payments/${res.body.id}`).expect(200, res.body);
    });

    it('accepts a reference holding a UUID whose digits happen to pass Luhn (order ids are UUIDs)', async () => {
      await pay(body({ reference: 'order-356e7409-f973-4379-9814-19502baf12ab' })).expect(201);
    });

    it.each([
      ['tok_mastercard', 'mastercard', '4444'],
      ['tok_amex', 'amex', '0005'],
    ])('charges %s', async (token, brand, last4) => {
      const res = await pay(body({ method: { type: 'card', token } })).expect(201);
      expect(res.body.method).toEqual({ type: 'card', brand, last4 });
    });

    it.each([
      ['tok_chargeDeclined', 'card_declined'],
      ['tok_insufficientFunds', 'insufficient_funds'],
      ['tok_unknownToken', 'invalid_token'],
    ])('declines %s with 402, storing the FAILED payment and naming it', async (token, failureCode) => {
      const payload = body({ method: { type: 'card', token } });
      const res = await pay(payload);
      expectProblem(res, 402, 'payment-declined');
      expect(res.body).toMatchObject({ paymentId: expect.stringMatching(UUID), failureCode });
      const stored = await api().get(`/payments/${res.body.paymentId}`).expect(200);
      expect(stored.body).toMatchObject({ status: 'FAILED', failureCode, reference: payload.reference });
    });

    it('answers 502 for a provider error, stores nothing, and lets the same key try again', async () => {
      const payload = body({ method: { type: 'card', token: 'tok_processingError' } });
      const key = randomUUID();
      expectProblem(await pay(payload, key), 502, 'bad-gateway');
      expectProblem(await pay(payload, key), 502, 'bad-gateway');
      expect(await paymentRows(payload.reference)).toEqual([]);
    });

    it('answers 503 payment-outcome-unknown when the provider does not answer in time, never "not charged"', async () => {
      const started = performance.now();
      const res = await pay(body({ method: { type: 'card', token: 'tok_timeout' } }));
      expectProblem(res, 503, 'payment-outcome-unknown');
      expect(res.body.detail).toMatch(/did not answer within 1000 ms; it may have been done/);
      expect(res.headers['retry-after']).toBe('2');
      expect(performance.now() - started).toBeLessThan(5_000);
    });

    it('requires an Idempotency-Key of 1-255 characters', async () => {
      const missing = await pay(body(), null);
      expectProblem(missing, 400, 'validation-error');
      expect(missing.body.errors).toEqual([{ in: 'header', field: 'idempotency-key', message: 'is required' }]);
      expectProblem(await pay(body(), 'k'.repeat(256)), 400, 'validation-error');
      await pay(body(), 'k'.repeat(255)).expect(201);
    });

    it.each([
      ['a float amount', { amountCents: 10.5 }, 'amountCents'],
      ['a string amount', { amountCents: '100' }, 'amountCents'],
      ['a zero amount', { amountCents: 0 }, 'amountCents'],
      ['a negative amount', { amountCents: -5 }, 'amountCents'],
      ['a huge amount', { amountCents: 1e16 }, 'amountCents'],
      ['an unsupported currency', { currency: 'XYZ' }, 'currency'],
      ['an empty reference', { reference: '' }, 'reference'],
      ['a method other than card', { method: { type: 'bank', token: 'tok_visa' } }, 'method.type'],
      ['a token of the wrong shape', { method: { type: 'card', token: 'visa' } }, 'method.token'],
      ['an unknown field', { capture: false }, 'capture'],
    ])('rejects %s with 400', async (_case, overrides, field) => {
      const res = await pay(body(overrides));
      expectProblem(res, 400, 'validation-error');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });
  });

  describe('idempotency', () => {
    it('replays the first response exactly, even with the fields in another order', async () => {
      const payload = body();
      const key = randomUUID();
      const first = await pay(payload, key).expect(201);
      const { reference, method, currency, amountCents } = payload;
      const again = await pay({ method, reference, amountCents, currency }, key).expect(201);
      expect(again.text).toBe(first.text);
      expect(again.headers['location']).toBe(first.headers['location']);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await paymentRows(payload.reference)).toHaveLength(1);
      expect(service.provider.chargeCount).toBeGreaterThan(0);
    });

    it('replays a decline too, under the retry’s own request id', async () => {
      const payload = body({ method: { type: 'card', token: 'tok_chargeDeclined' } });
      const key = randomUUID();
      const first = await pay(payload, key);
      const again = await pay(payload, key);
      expect(again.status).toBe(402);
      expect({ ...again.body, requestId: undefined }).toEqual({ ...first.body, requestId: undefined });
      expect(again.body.requestId).toBe(again.headers['x-request-id']);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
    });

    it('refuses a key reused with a different body (422), charging nothing', async () => {
      const key = randomUUID();
      const payload = body();
      await pay(payload, key).expect(201);
      expectProblem(await pay({ ...payload, amountCents: 1 }, key), 422, 'idempotency-key-reused');
      expect(await paymentRows(payload.reference)).toHaveLength(1);
    });

    it('makes exactly one charge from 20 concurrent requests with one key', async () => {
      const payload = body();
      const key = randomUUID();
      const before = service.provider.chargeCount;
      const responses = await Promise.all(Array.from({ length: 20 }, () => pay(payload, key)));
      const statuses = responses.map((r) => r.status);
      expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
      expect(statuses).toContain(201);
      const created = responses.filter((r) => r.status === 201);
      expect(new Set(created.map((r) => r.text)).size).toBe(1);
      for (const conflict of responses.filter((r) => r.status === 409)) {
        expectProblem(conflict, 409, 'idempotency-key-in-progress');
        expect(conflict.headers['retry-after']).toBe('1');
      }
      expect(service.provider.chargeCount - before).toBe(1);
      expect(await paymentRows(payload.reference)).toEqual([{ status: 'SUCCEEDED' }]);
    });
  });

  describe('card numbers', () => {
    it.each([
      ['in the reference', (pan: string) => body({ reference: `card ${pan}` })],
      ['as an extra method field', (pan: string) => body({ method: { type: 'card', token: 'tok_visa', number: pan } })],
      ['as a number', (pan: string) => body({ amountCents: Number(pan.replace(/\D/g, '')) })],
      ['grouped, as the token', (pan: string) => body({ method: { type: 'card', token: pan } })],
    ])('refuses a card number %s with 400, and it reaches no log line and no table', async (_case, build) => {
      const pan = _case === 'grouped, as the token' ? '4000 0566 5566 5556' : '4242424242424242';
      const res = await pay(build(pan));
      expectProblem(res, 400, 'validation-error');
      expect(res.body.errors[0].message).toMatch(/card number/);
      expect(res.text).not.toContain(pan);
      const digits = pan.replace(/\D/g, '');
      expect(service.logs.join('\n').replace(/\D/g, '')).not.toContain(digits);
      for (const table of ['payments', 'refunds', 'idempotency_keys']) {
        const { rows } = await service.db.query(`SELECT * FROM ${table}`);
        expect(JSON.stringify(rows).replace(/\D/g, '')).not.toContain(digits);
      }
    });
  });

  describe('GET /payments', () => {
    it('lists payments for a reference, paging in creation order', async () => {
      const reference = `order-${randomUUID()}`;
      const ids: string[] = [];
      for (const [token, status] of [
        ['tok_chargeDeclined', 402],
        ['tok_visa', 201],
        ['tok_mastercard', 201],
      ] as const) {
        const res = await pay(body({ reference, method: { type: 'card', token } }));
        expect(res.status).toBe(status);
        ids.push(res.body.id ?? res.body.paymentId);
      }
      const first = await api().get(`/payments?reference=${reference}&limit=2`).expect(200);
      expect(first.body.items.map((p: { id: string }) => p.id)).toEqual(ids.slice(0, 2));
      const second = await api()
        .get(`/payments?reference=${reference}&limit=2&cursor=${first.body.nextCursor}`)
        .expect(200);
      expect(second.body).toEqual({ items: [expect.objectContaining({ id: ids[2] })], nextCursor: null });
    });

    it('rejects bad paging and unknown parameters with 400, and unknown or malformed ids with 404 and 400', async () => {
      for (const query of ['limit=0', 'limit=101', 'cursor=nope', 'reference=', 'status=PAID']) {
        expectProblem(await api().get(`/payments?${query}`), 400, 'validation-error');
      }
      expectProblem(await api().get('/payments/not-a-uuid'), 400, 'validation-error');
      expectProblem(await api().get(`/payments/${randomUUID()}`), 404, 'not-found');
    });
  });

  describe('POST /payments/{id}/refunds', () => {
    const refund = (id: string, key: string | null = randomUUID()) => {
      const req = api().post(`/payments/${id}/refunds`);
      return key === null ? req.send() : req.set('idempotency-key', key).send();
    };

    it('refunds the whole payment once: 201, REFUNDED, replay for the same key, 409 for another', async () => {
      const payment = (await pay(body()).expect(201)).body;
      const key = randomUUID();
      const res = await refund(payment.id, key).expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        paymentId: payment.id,
        status: 'SUCCEEDED',
        amountCents: payment.amountCents,
        currency: payment.currency,
        createdAt: expect.any(String),
      });
      expect((await api().get(`/payments/${payment.id}`).expect(200)).body).toMatchObject({
        status: 'REFUNDED',
        refundId: res.body.id,
      });
      const replay = await refund(payment.id, key).expect(201);
      expect(replay.text).toBe(res.text);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expectProblem(await refund(payment.id), 409, 'payment-not-refundable');
      const { rows } = await service.db.query('SELECT * FROM refunds WHERE payment_id = $1', [payment.id]);
      expect(rows).toHaveLength(1);
    });

    it('refunds once under concurrent requests with different keys', async () => {
      const payment = (await pay(body()).expect(201)).body;
      const results = await Promise.all(Array.from({ length: 5 }, () => refund(payment.id)));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(4);
    });

    it('refuses to refund a failed payment (409), an unknown one (404), and a request without a key (400)', async () => {
      const failed = await pay(body({ method: { type: 'card', token: 'tok_chargeDeclined' } }));
      expectProblem(await refund(failed.body.paymentId), 409, 'payment-not-refundable');
      expectProblem(await refund(randomUUID()), 404, 'not-found');
      const payment = (await pay(body()).expect(201)).body;
      expectProblem(await refund(payment.id, null), 400, 'validation-error');
      expectProblem(
        await api().post(`/payments/${payment.id}/refunds`).set('idempotency-key', 'x').send({ amountCents: 1 }),
        400,
        'validation-error',
      );
    });
  });

  describe('settling what a crash left in progress', () => {
    // What a crash between the provider's answer and the payment's record leaves behind: the key in
    // progress with its request summary (as `Payments` claims it), and whatever the provider did.
    const idempotency = () => new IdempotencyStore(service.db);
    const abandonCharge = async (payload: ReturnType<typeof body>, key: string, charged: boolean) => {
      const { amountCents, currency, reference } = payload;
      await idempotency().begin(
        'payments',
        key,
        requestFingerprint(payload),
        JSON.stringify({ amountCents, currency, reference }),
      );
      if (charged) {
        await service.provider.charge(
          { amountCents, currency: 'EUR', token: payload.method.token, reference, idempotencyKey: `charge:${key}` },
          new AbortController().signal,
        );
      }
    };
    /** Settles with the clock past the stale time, then puts it back. */
    const settleLater = async () => {
      skewMs = 3600_000;
      try {
        return await service.payments.settleAbandoned();
      } finally {
        skewMs = 0;
      }
    };

    it('records a charge the provider made before the crash, so a retry replays it and nothing charges twice', async () => {
      const payload = body();
      const key = randomUUID();
      await abandonCharge(payload, key, true);
      const charges = service.provider.chargeCount;
      expect(await service.payments.settleAbandoned()).not.toContainEqual(expect.objectContaining({ key }));

      const settled = await settleLater();
      const mine = settled.find((s) => s.key === key);
      expect(mine).toEqual({ kind: 'charge', key, outcome: 'recorded', paymentId: expect.stringMatching(UUID) });
      const listed = (await api().get('/payments').query({ reference: payload.reference }).expect(200)).body.items;
      expect(listed).toEqual([
        expect.objectContaining({ id: mine?.paymentId, status: 'SUCCEEDED', amountCents: 2599 }),
      ]);

      const retry = await pay(payload, key).expect(201);
      expect(retry.body.id).toBe(mine?.paymentId);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(service.provider.chargeCount).toBe(charges);
      expect((await settleLater()).find((s) => s.key === key)).toBeUndefined();
    });

    it('gives back a key whose charge never reached the provider, so a retry charges once', async () => {
      const payload = body();
      const key = randomUUID();
      await abandonCharge(payload, key, false);
      expect((await settleLater()).find((s) => s.key === key)).toEqual({
        kind: 'charge',
        key,
        outcome: 'released',
        paymentId: null,
      });
      expect(await paymentRows(payload.reference)).toEqual([]);
      const retry = await pay(payload, key).expect(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(await paymentRows(payload.reference)).toEqual([{ status: 'SUCCEEDED' }]);
    });

    it('records a refund the provider made before the crash', async () => {
      const payment = (await pay(body()).expect(201)).body;
      const key = randomUUID();
      await idempotency().begin(
        'refunds',
        key,
        requestFingerprint(payment.id, {}),
        JSON.stringify({ paymentId: payment.id }),
      );
      const { rows } = await service.db.query<{ provider_charge_id: string }>(
        'SELECT provider_charge_id FROM payments WHERE id = $1',
        [payment.id],
      );
      const { refundId } = await service.provider.refund({
        chargeId: rows[0]?.provider_charge_id ?? '',
        amountCents: payment.amountCents,
        idempotencyKey: `refund:${payment.id}`,
      });
      expect(refundId).toMatch(/^re_/);

      expect((await settleLater()).find((s) => s.key === key)).toEqual({
        kind: 'refund',
        key,
        outcome: 'recorded',
        paymentId: payment.id,
      });
      const refunded = (await api().get(`/payments/${payment.id}`).expect(200)).body;
      expect(refunded).toMatchObject({ status: 'REFUNDED', refundId: expect.stringMatching(UUID) });
      const retry = await api().post(`/payments/${payment.id}/refunds`).set('idempotency-key', key).send().expect(201);
      expect(retry.body.id).toBe(refunded.refundId);
    });

    it('settles each abandoned key once, however many replicas settle at the same moment', async () => {
      const payloads = Array.from({ length: 6 }, () => body());
      for (const payload of payloads) await abandonCharge(payload, `crash-${payload.reference}`, true);
      skewMs = 3600_000;
      const rounds = await Promise.all([1, 2, 3].map(() => service.payments.settleAbandoned())).finally(() => {
        skewMs = 0;
      });
      const mine = rounds.flat().filter((s) => s.key.startsWith('crash-order-'));
      expect(mine.map((s) => s.key).sort()).toEqual(payloads.map((p) => `crash-${p.reference}`).sort());
      for (const payload of payloads) expect(await paymentRows(payload.reference)).toEqual([{ status: 'SUCCEEDED' }]);
    });
  });

  describe('money under partial failure: once the provider was called, the key is never given back blind', () => {
    const keyState = async (key: string) =>
      (
        await service.db.query<{ state: string }>(
          "SELECT state FROM idempotency_keys WHERE scope = 'payments' AND key = $1",
          [key],
        )
      ).rows[0]?.state;

    it('a write that fails after the charge keeps the key: 503, a new key waits (409), the same key gets the one charge', async () => {
      const payload = body();
      const key = randomUUID();
      const charges = service.provider.chargeCount;
      writes.failNext = 1;
      const failed = await pay(payload, key);
      expectProblem(failed, 503, 'payment-outcome-unknown');
      expect(failed.body.detail).toMatch(/may have been done/);
      expect(service.provider.chargeCount).toBe(charges + 1);
      expect(await paymentRows(payload.reference)).toEqual([]);
      expect(await keyState(key)).toBe('in_progress');

      // Another key for the same reference would charge again: it waits until the first is settled.
      const other = await pay({ ...payload, method: { type: 'card', token: 'tok_mastercard' } });
      expectProblem(other, 409, 'payment-in-progress');
      expect(other.headers['retry-after']).toBe('2');
      expect(service.provider.chargeCount).toBe(charges + 1);

      // The same request settles it itself at once: the provider answers its one charge again.
      const retry = await pay(payload, key).expect(201);
      expect(retry.body).toMatchObject({ status: 'SUCCEEDED', reference: payload.reference });
      expect(service.provider.chargeCount).toBe(charges + 1);
      expect(await paymentRows(payload.reference)).toEqual([{ status: 'SUCCEEDED' }]);
      expect((await pay(payload, key).expect(201)).body.id).toBe(retry.body.id);
    });

    it('with no retry, the next settling run records the charge, and the key then replays it', async () => {
      const payload = body();
      const key = randomUUID();
      writes.failNext = 1;
      expectProblem(await pay(payload, key), 503, 'payment-outcome-unknown');
      // Abandoned at once (the provider had answered): no need to wait out the stale time.
      const settled = (await service.payments.settleAbandoned()).find((s) => s.key === key);
      expect(settled).toEqual({ kind: 'charge', key, outcome: 'recorded', paymentId: expect.stringMatching(UUID) });
      const replay = await pay(payload, key).expect(201);
      expect(replay.body.id).toBe(settled?.paymentId);
      expect(replay.headers['idempotent-replayed']).toBe('true');
    });

    it('a provider that charges but answers late: 503 unknown, the key held until stale, then the charge recorded', async () => {
      const payload = body({ method: { type: 'card', token: 'tok_lateAnswer' } });
      const key = randomUUID();
      expectProblem(await pay(payload, key), 503, 'payment-outcome-unknown');
      expect(await keyState(key)).toBe('in_progress');
      // The provider may still be working on it: nobody asks it, nor retries, before the stale time.
      expectProblem(await pay(payload, key), 409, 'idempotency-key-in-progress');
      expect((await service.payments.settleAbandoned()).find((s) => s.key === key)).toBeUndefined();
      skewMs = 3600_000;
      const settled = await service.payments.settleAbandoned().finally(() => {
        skewMs = 0;
      });
      expect(settled.find((s) => s.key === key)).toMatchObject({ outcome: 'recorded' });
      const answer = await pay(payload, key).expect(201);
      expect(answer.body).toMatchObject({ status: 'SUCCEEDED', method: { last4: '0077' } });
    });

    it('a refund whose write fails after the provider refunded keeps its key, and a retry records the one refund', async () => {
      const payment = (await pay(body()).expect(201)).body;
      const key = randomUUID();
      writes.failNext = 1;
      const refund = () => api().post(`/payments/${payment.id}/refunds`).set('idempotency-key', key).send();
      expectProblem(await refund(), 503, 'payment-outcome-unknown');
      expect((await api().get(`/payments/${payment.id}`).expect(200)).body.status).toBe('SUCCEEDED');
      const done = await refund().expect(201);
      expect((await api().get(`/payments/${payment.id}`).expect(200)).body.refundId).toBe(done.body.id);
      const { rows } = await service.db.query('SELECT 1 FROM sandbox_refunds WHERE idempotency_key = $1', [
        `refund:${payment.id}`,
      ]);
      expect(rows).toHaveLength(1);
    });

    it('reconciles the provider’s ledger: a charge nobody recorded is recorded, one without a reference refunded', async () => {
      const lost = body();
      const lostKey = randomUUID();
      const orphanKey = randomUUID();
      const signal = new AbortController().signal;
      // Charges whose keys were given back (as before this round): the provider has them, nobody else does.
      for (const [key, reference] of [
        [lostKey, lost.reference],
        [orphanKey, `order-${randomUUID()}`],
      ] as const) {
        await service.provider.charge(
          { amountCents: 2599, currency: 'EUR', token: 'tok_visa', reference, idempotencyKey: `charge:${key}` },
          signal,
        );
      }
      await service.db.query('UPDATE sandbox_charges SET amount_cents = NULL WHERE idempotency_key = $1', [
        `charge:${orphanKey}`,
      ]);
      // Too young: their requests, or the settling of their keys, may still record them.
      expect((await service.payments.reconcileLedger()).map((r) => r.key)).not.toContain(lostKey);

      skewMs = 3600_000;
      const repairs = await service.payments.reconcileLedger().finally(() => {
        skewMs = 0;
      });
      // The ledger lists by time, then key: two charges in one millisecond come in key order.
      const mine = repairs.filter((r) => r.key === lostKey || r.key === orphanKey);
      expect(mine.sort((a, b) => a.outcome.localeCompare(b.outcome))).toEqual([
        { outcome: 'recorded', key: lostKey, paymentId: expect.stringMatching(UUID) },
        { outcome: 'refunded', key: orphanKey, paymentId: null },
      ]);
      const listed = (await api().get('/payments').query({ reference: lost.reference }).expect(200)).body.items;
      expect(listed).toEqual([expect.objectContaining({ status: 'SUCCEEDED', amountCents: 2599 })]);
      const { rows } = await service.db.query('SELECT 1 FROM sandbox_refunds WHERE idempotency_key = $1', [
        `refund:charge:${orphanKey}`,
      ]);
      expect(rows).toHaveLength(1);
      // The client's retry with its key answers the recorded payment, charging nothing more.
      const charges = service.provider.chargeCount;
      expect((await pay(lost, lostKey).expect(201)).body.id).toBe(listed[0].id);
      expect(service.provider.chargeCount).toBe(charges);
      // A second pass resumes after the first: nothing to repair twice.
      skewMs = 3600_000;
      const again = await service.payments.reconcileLedger().finally(() => {
        skewMs = 0;
      });
      expect(again).toEqual([]);
    });

    it('lists the payments changed after a moment: a refund made later shows up, paging in creation order', async () => {
      const before = new Date(Date.now() - 1).toISOString();
      const payment = (await pay(body()).expect(201)).body;
      const mark = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const changed = async (after: string) =>
        (await api().get('/payments').query({ updatedAfter: after, limit: 100 }).expect(200)).body.items.map(
          (p: { id: string; status: string }) => [p.id, p.status],
        );
      expect(await changed(before)).toContainEqual([payment.id, 'SUCCEEDED']);
      expect(await changed(mark)).not.toContainEqual([payment.id, 'SUCCEEDED']);
      await api().post(`/payments/${payment.id}/refunds`).set('idempotency-key', randomUUID()).expect(201);
      expect(await changed(mark)).toContainEqual([payment.id, 'REFUNDED']);
      expectProblem(await api().get('/payments?updatedAfter=yesterday'), 400, 'validation-error');
    });
  });

  describe('who may move money', () => {
    it('charges and refunds for order-service only; administrators read and refund; people get 403', async () => {
      const admin = await issuer.admin();
      const person = await issuer.person('ada');
      const stranger = await issuer.workload('payment-service', 'system:serviceaccount:default:default');
      for (const token of [person, admin, stranger]) {
        const refused = await as(token).post('/payments').set('idempotency-key', randomUUID()).send(body());
        expectProblem(refused, 403, 'insufficient-scope');
      }
      const paid = (await pay(body()).expect(201)).body;
      expectProblem(await as(person).get(`/payments/${paid.id}`), 403, 'insufficient-scope');
      expectProblem(
        await as(person).post(`/payments/${paid.id}/refunds`).set('idempotency-key', randomUUID()),
        403,
        'insufficient-scope',
      );
      expectProblem(await as(stranger).get(`/payments/${paid.id}`), 403, 'insufficient-scope');
      await as(admin).get(`/payments/${paid.id}`).expect(200, paid);
      await as(admin).get(`/payments?reference=${paid.reference}`).expect(200);
      await as(admin).post(`/payments/${paid.id}/refunds`).set('idempotency-key', randomUUID()).expect(201);
      expect(await paymentRows(paid.reference)).toEqual([{ status: 'REFUNDED' }]);
    });

    it('answers 401 without a token, or with a token for another audience, charging nothing', async () => {
      const reference = `order-${randomUUID()}`;
      const noToken = await as().post('/payments').set('idempotency-key', randomUUID()).send(body({ reference }));
      expectProblem(noToken, 401, 'authentication-required');
      expect(noToken.headers['www-authenticate']).toBe('Bearer realm="platform"');
      const elsewhere = await issuer.workload('user-service');
      const wrongAudience = await as(elsewhere)
        .post('/payments')
        .set('idempotency-key', randomUUID())
        .send(body({ reference }));
      expectProblem(wrongAudience, 401, 'invalid-token');
      expect(await paymentRows(reference)).toEqual([]);
    });
  });

  describe('operations', () => {
    it('answers health, metrics with route templates, helmet headers and 404 problems', async () => {
      await api().get('/health/ready').expect(200);
      await api().get(`/payments/${randomUUID()}`).expect(404);
      const metrics = await api().get('/metrics').expect(200);
      expect(metrics.text).toMatch(
        /http_server_requests_total\{method="GET",route="\/payments\/:id",status_code="404"\} \d+/,
      );
      const unknown = await api().get('/nope');
      expectProblem(unknown, 404, 'route-not-found');
      expect(unknown.headers['x-content-type-options']).toBe('nosniff');
      expect(unknown.headers['x-powered-by']).toBeUndefined();
      expectProblem(
        await api().post('/payments').set('idempotency-key', 'k').set('content-type', 'text/plain').send('x'),
        415,
        'unsupported-media-type',
      );
      expectProblem(
        await api().post('/payments').set('idempotency-key', 'k').set('content-type', 'application/json').send('{'),
        400,
        'malformed-json',
      );
      expectProblem(
        await api()
          .post('/payments')
          .set('idempotency-key', 'k')
          .send({ reference: 'x'.repeat(101 * 1024) }),
        413,
        'payload-too-large',
      );
    });
  });
});

/** The real SQL, with its next writes failing on demand: what a lock timeout or a failover does to them. */
class FailingWrites extends PaymentRepository {
  failNext = 0;

  override insertOnce(...args: Parameters<PaymentRepository['insertOnce']>): Promise<StoredPayment> {
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('canceling statement due to lock timeout'));
    }
    return super.insertOnce(...args);
  }

  override refund(...args: Parameters<PaymentRepository['refund']>) {
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('canceling statement due to lock timeout'));
    }
    return super.refund(...args);
  }
}
