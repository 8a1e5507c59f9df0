import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningStack, startStack } from '@platform/local-stack';
import { OtlpReceiver } from '@platform/testing';

// The whole system as `npm start` runs it (built services, embedded databases, the edge), on free
// ports, with tracing on and an in-process OTLP receiver. Every call goes through the edge.
let stack: RunningStack;
let receiver: OtlpReceiver;
let dataRoot: string;

beforeAll(async () => {
  dataRoot = mkdtempSync(join(tmpdir(), 'system-e2e-'));
  receiver = await OtlpReceiver.start();
  stack = await startStack({
    ports: 'free',
    edgePort: 0,
    dataRoot,
    env: { LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' },
  });
}, 120_000);

afterAll(async () => {
  const codes = await stack?.stop();
  await receiver?.close();
  rmSync(dataRoot, { recursive: true, force: true });
  expect(codes).toEqual({ 'user-service': 0, 'order-service': 0, 'payment-service': 0 });
});

interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply<T>> {
  const res = await fetch(`${stack.edgeUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? {} : JSON.parse(text)) as T };
}

const newUser = async () =>
  (await call<{ id: string }>('POST', '/users', { email: `e2e-${randomUUID()}@example.com`, name: 'E2E Buyer' })).body
    .id;
const newOrder = async (userId: string) => {
  const res = await call<{ id: string; totalCents: number; status: string }>('POST', '/orders', {
    userId,
    currency: 'GBP',
    items: [
      { sku: 'TEA-1', quantity: 3, unitPriceCents: 450 },
      { sku: 'MUG-2', quantity: 1, unitPriceCents: 1299 },
    ],
  });
  expect(res.status).toBe(201);
  return res.body;
};
const pay = (orderId: string, token = 'tok_visa', headers: Record<string, string> = {}) =>
  call<Record<string, unknown>>('POST', `/orders/${orderId}/pay`, { paymentMethod: { type: 'card', token } }, headers);
const paymentsOf = async (orderId: string) =>
  (
    await call<{ items: { id: string; status: string; amountCents: number; currency: string }[] }>(
      'GET',
      `/payments?reference=${orderId}`,
    )
  ).body.items;

describe('journeys through the edge', () => {
  it('create a user, order for them, pay once, then cancel and get refunded', async () => {
    const userId = await newUser();
    expect((await call('GET', `/users/${userId}`)).status).toBe(200);
    const order = await newOrder(userId);
    expect(order).toMatchObject({ status: 'PENDING', totalCents: 3 * 450 + 1299 });

    const paid = await pay(order.id);
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'PAID', paymentId: expect.any(String) });
    const payments = await paymentsOf(order.id);
    expect(payments).toEqual([
      expect.objectContaining({
        id: paid.body['paymentId'],
        status: 'SUCCEEDED',
        amountCents: order.totalCents,
        currency: 'GBP',
      }),
    ]);

    const cancelled = await call('POST', `/orders/${order.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'CANCELLED',
      paymentId: paid.body['paymentId'],
      refundId: expect.any(String),
    });
    expect((await call('GET', `/payments/${paid.body['paymentId']}`)).body).toMatchObject({ status: 'REFUNDED' });
  });

  it('refuses an order for an unknown user with 422', async () => {
    const res = await call('POST', '/orders', {
      userId: randomUUID(),
      currency: 'EUR',
      items: [{ sku: 'A', quantity: 1, unitPriceCents: 100 }],
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ type: 'urn:problem-type:unprocessable' });
  });

  it('answers a declined card with 402 and leaves the order payable', async () => {
    const order = await newOrder(await newUser());
    const declined = await pay(order.id, 'tok_insufficientFunds');
    expect(declined.status).toBe(402);
    expect(declined.body).toMatchObject({
      type: 'urn:problem-type:payment-declined',
      failureCode: 'insufficient_funds',
    });
    expect((await call('GET', `/orders/${order.id}`)).body).toMatchObject({ status: 'PENDING' });
    expect((await pay(order.id, 'tok_mastercard')).status).toBe(200);
    expect((await paymentsOf(order.id)).map((p) => p.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
  });

  it('answers a retried pay request (same Idempotency-Key) with the same paid order and one charge', async () => {
    const order = await newOrder(await newUser());
    const key = randomUUID();
    const first = await pay(order.id, 'tok_visa', { 'idempotency-key': key });
    const retry = await pay(order.id, 'tok_visa', { 'idempotency-key': key });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await paymentsOf(order.id)).toHaveLength(1);
  });

  it('answers errors from every service as problem details with security headers', async () => {
    for (const path of [`/users/${randomUUID()}`, `/orders/${randomUUID()}`, `/payments/${randomUUID()}`]) {
      const res = await call('GET', path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        type: 'urn:problem-type:not-found',
        title: expect.any(String),
        status: 404,
        detail: expect.any(String),
        instance: path,
      });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('x-request-id')).toBe(res.body['requestId']);
    }
    for (const [path, body] of [
      ['/users', { email: 'nope' }],
      ['/orders', { userId: 'x' }],
    ] as const) {
      const res = await call('POST', path, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ type: 'urn:problem-type:validation-error', errors: expect.any(Array) });
    }
    const payment = await call('POST', '/payments', {}, { 'idempotency-key': 'k' });
    expect(payment.status).toBe(400);
    expect(payment.body).toMatchObject({ type: 'urn:problem-type:validation-error', errors: expect.any(Array) });
  });

  it('answers the edge health check itself and 404 for paths no service owns', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    for (const path of ['/', '/metrics', '/health/ready', '/usersX'])
      expect((await call('GET', path)).status).toBe(404);
  });

  it('joins one pay request into one trace across order-service and payment-service', async () => {
    const order = await newOrder(await newUser());
    expect((await pay(order.id)).status).toBe(200);
    const orderSpan = await receiver.waitFor(
      (s) => s.service === 'order-service' && s.kind === 2 && s.attributes['http.route'] === '/orders/:id/pay',
    );
    const paymentSpan = await receiver.waitFor(
      (s) => s.service === 'payment-service' && s.kind === 2 && s.traceId === orderSpan.traceId,
    );
    expect(paymentSpan.traceId).toBe(orderSpan.traceId);
    const clientSpan = await receiver.waitFor(
      (s) =>
        s.service === 'order-service' &&
        s.kind === 3 &&
        s.traceId === orderSpan.traceId &&
        s.spanId === paymentSpan.parentSpanId,
    );
    expect(clientSpan).toBeDefined();
  });
});
