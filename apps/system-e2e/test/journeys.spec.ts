import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCOPES } from '@platform/auth';
import { LocalIssuer } from '@platform/auth/issuer';
import type { OpenApiDocument } from '@platform/contracts';
import { ContractChecker } from '@platform/contracts/testing';
import { loadRoutes, type RunningStack, startEdge, startStack } from '@platform/local-stack';
import { OtlpReceiver, WORKSPACE_ROOT, STARTUP_HOOK_TIMEOUT_MS } from '@platform/testing';

// The whole system as `npm start` runs it (built services, embedded databases, the edge, the local
// issuer), on free ports, with tracing on and an in-process OTLP receiver. Every call goes through
// the edge with a real token, and every answer is held to the committed contract of its service.
//
// With E2E_TARGET=cluster the same journeys run against services deployed in a cluster
// (tools/smoke/kind.sh): one URL per service (its port-forward), a local edge over them with the
// production route table, and tokens signed with the keys of the issuer the cluster trusts. What
// only the local stack has (its issuer under /auth, the trace receiver, the exit codes) is checked
// locally only.
const CLUSTER = process.env['E2E_TARGET'] === 'cluster';
const localOnly = CLUSTER ? it.skip : it;

interface Target {
  readonly edgeUrl: string;
  readonly issuer: LocalIssuer;
  stop(): Promise<void>;
}

let target: Target;
/** The local stack and its trace receiver (not with E2E_TARGET=cluster). */
let stack: RunningStack;
let receiver: OtlpReceiver;
/** The person most journeys are made by, and an administrator. */
let ada: Record<string, string>;
let admin: Record<string, string>;

const checkers = Object.fromEntries(
  ['users', 'orders', 'payments'].map((resource) => {
    const service = resource.replace(/s$/, '') + '-service';
    const file = join(WORKSPACE_ROOT, 'docs/api', `${service}.openapi.json`);
    return [`/${resource}`, new ContractChecker(JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument)];
  }),
);
afterEach(() => {
  for (const checker of Object.values(checkers)) expect(checker.violations.splice(0)).toEqual([]);
});

const token = async (subject: string, scopes: string[] = []) => ({
  authorization: `Bearer ${await target.issuer.sign({
    sub: subject,
    aud: 'platform-api',
    scope: ['users:read', 'users:write', 'orders:read', 'orders:write', ...scopes].join(' '),
  })}`,
});

async function localTarget(): Promise<Target> {
  const dataRoot = mkdtempSync(join(tmpdir(), 'system-e2e-'));
  receiver = await OtlpReceiver.start();
  stack = await startStack({
    ports: 'free',
    edgePort: 0,
    dataRoot,
    env: { LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' },
  });
  return {
    edgeUrl: stack.edgeUrl,
    issuer: stack.issuer,
    async stop() {
      const codes = await stack.stop();
      await receiver.close();
      rmSync(dataRoot, { recursive: true, force: true });
      expect(codes).toEqual({ 'user-service': 0, 'order-service': 0, 'payment-service': 0 });
    },
  };
}

async function clusterTarget(): Promise<Target> {
  const env = (name: string) => {
    const value = process.env[name];
    if (value === undefined || value === '') throw new Error(`E2E_TARGET=cluster needs ${name}`);
    return value;
  };
  const issuer = await LocalIssuer.persistent(env('E2E_ISSUER_URL'), env('E2E_ISSUER_KEYS'));
  const edge = await startEdge({
    table: loadRoutes(),
    upstreams: {
      'user-service': new URL(env('E2E_USER_SERVICE_URL')),
      'order-service': new URL(env('E2E_ORDER_SERVICE_URL')),
      'payment-service': new URL(env('E2E_PAYMENT_SERVICE_URL')),
    },
    port: 0,
  });
  return { edgeUrl: edge.url, issuer, stop: () => edge.close() };
}

beforeAll(async () => {
  target = CLUSTER ? await clusterTarget() : await localTarget();
  ada = await token(`ada-${randomUUID()}`);
  admin = await token(`admin-${randomUUID()}`, [SCOPES.admin]);
  await call('POST', '/users', { email: `ada-${randomUUID()}@example.com`, name: 'Ada' }, ada);
}, STARTUP_HOOK_TIMEOUT_MS);

afterAll(() => target?.stop());

interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A call through the edge, its answer checked against the contract of the service that owns the path. */
async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = ada,
): Promise<Reply<T>> {
  const res = await fetch(`${target.edgeUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed = (text === '' ? undefined : JSON.parse(text)) as T | undefined;
  const checker = Object.entries(checkers).find(
    ([prefix]) => path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`),
  )?.[1];
  checker?.check({
    method,
    path,
    status: res.status,
    headers: Object.fromEntries(res.headers.entries()),
    body: parsed,
  });
  return { status: res.status, headers: res.headers, body: (parsed ?? {}) as T };
}

/** A new person with a user profile: their headers and their user's id. */
const newPerson = async () => {
  const headers = await token(`e2e-${randomUUID()}`);
  const res = await call<{ id: string }>(
    'POST',
    '/users',
    { email: `e2e-${randomUUID()}@example.com`, name: 'E2E Buyer' },
    headers,
  );
  expect(res.status).toBe(201);
  return { headers, userId: res.body.id };
};
const newOrder = async (headers: Record<string, string> = ada) => {
  const res = await call<{ id: string; totalCents: number; status: string }>(
    'POST',
    '/orders',
    {
      currency: 'GBP',
      items: [
        { sku: 'TEA-1', quantity: 3, unitPriceCents: 450 },
        { sku: 'MUG-2', quantity: 1, unitPriceCents: 1299 },
      ],
    },
    headers,
  );
  expect(res.status).toBe(201);
  return res.body;
};
const pay = (orderId: string, card = 'tok_visa', headers: Record<string, string> = {}, as = ada) =>
  call<Record<string, unknown>>(
    'POST',
    `/orders/${orderId}/pay`,
    { paymentMethod: { type: 'card', token: card } },
    { ...as, ...headers },
  );
const paymentsOf = async (orderId: string) =>
  (
    await call<{ items: { id: string; status: string; amountCents: number; currency: string }[] }>(
      'GET',
      `/payments?reference=${orderId}`,
      undefined,
      admin,
    )
  ).body.items;

describe('journeys through the edge', () => {
  it('sign in, create a profile, order, pay once, then cancel and get refunded', async () => {
    const { headers, userId } = await newPerson();
    expect((await call('GET', '/users/me', undefined, headers)).body).toMatchObject({ id: userId });
    const order = await newOrder(headers);
    expect(order).toMatchObject({ userId });
    expect(order).toMatchObject({ status: 'PENDING', totalCents: 3 * 450 + 1299 });

    const paid = await pay(order.id, 'tok_visa', {}, headers);
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

    const cancelled = await call('POST', `/orders/${order.id}/cancel`, undefined, headers);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'CANCELLED',
      paymentId: paid.body['paymentId'],
      refundId: expect.any(String),
    });
    expect((await call('GET', `/payments/${paid.body['paymentId']}`, undefined, admin)).body).toMatchObject({
      status: 'REFUNDED',
    });
  });

  it('keeps each person to their own: B can neither see, pay nor cancel A’s order, nor order for A', async () => {
    const a = await newPerson();
    const b = await newPerson();
    const order = await newOrder(a.headers);
    for (const res of [
      await call('GET', `/orders/${order.id}`, undefined, b.headers),
      await pay(order.id, 'tok_visa', {}, b.headers),
      await call('POST', `/orders/${order.id}/cancel`, undefined, b.headers),
      await call('GET', `/users/${a.userId}`, undefined, b.headers),
    ]) {
      expect(res.status).toBe(404);
    }
    expect((await call('GET', '/orders', undefined, b.headers)).body).toEqual({ items: [], nextCursor: null });
    const forA = await call(
      'POST',
      '/orders',
      { userId: a.userId, currency: 'EUR', items: [{ sku: 'A', quantity: 1, unitPriceCents: 100 }] },
      b.headers,
    );
    expect(forA.status).toBe(422);
    expect(await paymentsOf(order.id)).toEqual([]);
    expect((await call('GET', `/orders/${order.id}`, undefined, a.headers)).body).toMatchObject({ status: 'PENDING' });
    // People never move money directly; only order-service's workload identity (and administrators, to refund) do.
    const direct = await call(
      'POST',
      '/payments',
      { amountCents: 100, currency: 'EUR', reference: order.id, method: { type: 'card', token: 'tok_visa' } },
      { ...b.headers, 'idempotency-key': randomUUID() },
    );
    expect(direct.status).toBe(403);
  });

  it('answers every API path without a token with 401 and a bearer challenge', async () => {
    for (const [method, path] of [
      ['GET', '/users'],
      ['GET', `/users/${randomUUID()}`],
      ['POST', '/orders'],
      ['GET', `/orders/${randomUUID()}`],
      ['POST', '/payments'],
      ['POST', `/payments/${randomUUID()}/refunds`],
    ] as const) {
      const res = await call(method, path, method === 'POST' ? {} : undefined, {});
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="platform"');
    }
  });

  localOnly('finds the local issuer at /auth', async () => {
    const discovery = await (await fetch(`${stack.edgeUrl}/auth/.well-known/openid-configuration`)).json();
    expect(discovery).toMatchObject({ issuer: `${stack.edgeUrl}/auth`, jwks_uri: `${stack.edgeUrl}/auth/jwks.json` });
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
    const order = await newOrder();
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
    const order = await newOrder();
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
      const res = await call('GET', path, undefined, admin);
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
    const refund = await call(
      'POST',
      `/payments/${randomUUID()}/refunds`,
      { a: 1 },
      { ...admin, 'idempotency-key': 'k' },
    );
    expect(refund.status).toBe(400);
    expect(refund.body).toMatchObject({ type: 'urn:problem-type:validation-error', errors: expect.any(Array) });
  });

  it('answers the edge health check itself and 404 for paths no service owns', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    for (const path of ['/', '/metrics', '/health/ready', '/usersX'])
      expect((await call('GET', path)).status).toBe(404);
  });

  localOnly('joins one pay request into one trace across order-service and payment-service', async () => {
    const order = await newOrder();
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
