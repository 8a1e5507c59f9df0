import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Authenticator } from '@platform/auth';
import { bearer, TestIssuer } from '@platform/auth/testing';
import { expectProblem } from '@platform/contracts/testing';
import { InMemoryCheckpoints } from '@platform/persistence/testing';
import { createRuntime, type ServiceRuntime } from '@platform/runtime';
import { platformHttpAdapter } from '@platform/runtime/nest';
import request from 'supertest';
import { AppModule } from '../src/app.module';
import { Orders } from '../src/orders/orders';
import { Reconciler } from '../src/orders/reconciler';
import { InMemoryOrderStore, InMemoryPaymentGateway, InMemoryUserDirectory } from './in-memory';

/*
 * order-service's HTTP layer as Nest's testing module builds it: the real AppModule (the
 * platform, the AccessGuard on every route, the OperationInputPipe), real signed tokens, and the
 * `Orders` provider overridden by one on in-memory ports, so nothing else needs to run.
 */

let issuer: TestIssuer;
let runtime: ServiceRuntime;
let app: INestApplication;
let server: Server;
let buyer: string;
const gateway = new InMemoryPaymentGateway();

beforeAll(async () => {
  issuer = await TestIssuer.start();
  runtime = createRuntime({ service: 'order-service', version: 'test', logLevel: 'silent', processMetrics: false });
  const users = new InMemoryUserDirectory();
  users.add({ issuer: issuer.url, subject: 'buyer' });
  const store = new InMemoryOrderStore();
  const timing = { paymentAttemptStaleMs: 30_000, reconcileAfterMs: 60_000, reconcileWatchMs: 0 };
  const orders = new Orders(store, users, gateway, timing);
  const module = await Test.createTestingModule({
    imports: [
      AppModule.register({
        runtime,
        auth: new Authenticator(issuer.trust('order-service', [])),
        service: {
          // Replaced below (its directory knows no user, so it could create no order): the override serves.
          orders: new Orders(new InMemoryOrderStore(), new InMemoryUserDirectory(), gateway, timing),
          reconciler: new Reconciler(store, gateway, new InMemoryCheckpoints(), timing),
          jobs: [],
        },
      }),
    ],
  })
    .overrideProvider(Orders)
    .useValue(orders)
    .compile();
  app = module.createNestApplication(platformHttpAdapter(), { bodyParser: false, logger: false });
  await app.init();
  server = app.getHttpServer() as Server;
  buyer = await issuer.person('buyer');
});
afterAll(async () => {
  await app.close();
  await runtime.shutdown();
  await issuer.close();
});

const items = [{ sku: 'BOOK-1', quantity: 2, unitPriceCents: 1250 }];

it('creates, pays and cancels through the guard, the pipe and the overridden domain', async () => {
  const created = await request(server).post('/orders').set(bearer(buyer)).send({ currency: 'EUR', items }).expect(201);
  expect(created.headers['location']).toBe(`/orders/${created.body.id}`);
  const paid = await request(server)
    .post(`/orders/${created.body.id}/pay`)
    .set({ ...bearer(buyer), 'idempotency-key': 'pay-1' })
    .send({ paymentMethod: { type: 'card', token: 'tok_visa' } })
    .expect(200);
  expect(paid.body).toMatchObject({ status: 'PAID', paymentId: gateway.payments(created.body.id)[0]?.id });
  const cancelled = await request(server).post(`/orders/${created.body.id}/cancel`).set(bearer(buyer)).expect(200);
  expect(cancelled.body).toMatchObject({ status: 'CANCELLED', refundId: expect.any(String) });
});

it('validates each part in the pipe: body, path and the Idempotency-Key header', async () => {
  expectProblem(
    await request(server).post('/orders').set(bearer(buyer)).send({ currency: 'EUR', items, totalCents: 1 }),
    400,
    'validation-error',
  );
  expectProblem(await request(server).get('/orders/not-a-uuid').set(bearer(buyer)), 400, 'validation-error');
  const created = await request(server).post('/orders').set(bearer(buyer)).send({ currency: 'EUR', items });
  expectProblem(
    await request(server)
      .post(`/orders/${created.body.id}/pay`)
      .set({ ...bearer(buyer), 'idempotency-key': 'x'.repeat(300) })
      .send({ paymentMethod: { type: 'card', token: 'tok_visa' } }),
    400,
    'validation-error',
  );
});

it('lets no request reach the domain without a caller, whatever the spelling of the path', async () => {
  const calls = gateway.calls.length;
  expectProblem(await request(server).post('/orders').send({ currency: 'EUR', items }), 401, 'authentication-required');
  for (const path of [
    '/ORDERS',
    '/Orders',
    '/orders/',
    '/orders//x',
    '/orders/00000000-0000-4000-8000-000000000000/CANCEL',
  ])
    expectProblem(
      await request(server).post(path).set(bearer(buyer)).send({ currency: 'EUR', items }),
      404,
      'route-not-found',
    );
  expect(gateway.calls.length).toBe(calls);
});
