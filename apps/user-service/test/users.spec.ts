import { checkedAgent, ContractChecker, itServesItsCommittedContract } from '@platform/contracts/testing';
import { WORKSPACE_ROOT } from '@platform/testing';
import request from 'supertest';
import { testEngines } from '@platform/persistence/testing';
import { api as contract } from '../src/api';
import { startTestService, type TestService } from './harness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe.each(testEngines())('user-service API on %s', (engine) => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService(engine);
  });
  afterAll(() => service.close());
  beforeEach(() => service.db.query('DELETE FROM users'));

  const api = () => checkedAgent(request(service.app), checker);
  // Every response these tests see must be one the service's OpenAPI document allows.
  const checker = new ContractChecker(contract.document);
  afterEach(() => expect(checker.violations.splice(0)).toEqual([]));

  itServesItsCommittedContract(
    WORKSPACE_ROOT,
    'user-service',
    async () => (await request(service.app).get('/openapi.json').expect(200)).body,
  );
  const create = (body: object) => api().post('/users').send(body);
  const expectProblem = (res: request.Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: `urn:problem-type:${code}`,
      status,
      title: expect.any(String),
      detail: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toMatch(/stack|SELECT|INSERT|users_email_key/);
  };

  describe('POST /users', () => {
    it('creates a user with a trimmed, lower-cased email, 201 and a Location', async () => {
      const res = await create({ email: '  Ada.Lovelace@Example.COM ', name: 'Ada Lovelace' }).expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        email: 'ada.lovelace@example.com',
        name: 'Ada Lovelace',
        createdAt: expect.stringMatching(ISO),
        updatedAt: res.body.createdAt,
      });
      expect(res.headers['location']).toBe(`/users/${res.body.id}`);
      await api()
        .get(res.headers['location'] as string)
        .expect(200, res.body);
    });

    it('refuses an email already used, whatever its case (409)', async () => {
      await create({ email: 'grace@example.com', name: 'Grace' }).expect(201);
      const res = await create({ email: 'GRACE@example.com ', name: 'Other Grace' });
      expectProblem(res, 409, 'conflict');
    });

    it.each([
      ['a bad email', { email: 'not-an-email', name: 'X' }, ['email']],
      ['an email with a space inside', { email: 'a b@example.com', name: 'X' }, ['email']],
      ['an empty name', { email: 'x@example.com', name: '' }, ['name']],
      ['a blank name', { email: 'x@example.com', name: '   ' }, ['name']],
      ['a name over 100 characters', { email: 'x@example.com', name: 'n'.repeat(101) }, ['name']],
      ['a name with a null byte', { email: 'x@example.com', name: 'a\u0000b' }, ['name']],
      ['an unknown field', { email: 'x@example.com', name: 'X', admin: true }, ['admin']],
      ['missing fields', {}, ['email', 'name']],
      ['wrong types', { email: 42, name: ['x'] }, ['email', 'name']],
    ])('rejects %s with 400 naming each field', async (_case, body, fields) => {
      const res = await create(body);
      expectProblem(res, 400, 'validation-error');
      expect([...new Set(res.body.errors.map((e: { field: string }) => e.field))].sort()).toEqual([...fields].sort());
    });

    it('accepts a name of exactly 100 characters', async () => {
      await create({ email: 'x@example.com', name: 'n'.repeat(100) }).expect(201);
    });

    it('answers malformed JSON 400, a non-JSON body 415 and a body over 100 kB 413', async () => {
      expectProblem(
        await api().post('/users').set('content-type', 'application/json').send('{"email":'),
        400,
        'malformed-json',
      );
      expectProblem(
        await api().post('/users').set('content-type', 'text/plain').send('email=x'),
        415,
        'unsupported-media-type',
      );
      expectProblem(await create({ email: 'x@example.com', name: 'x'.repeat(101 * 1024) }), 413, 'payload-too-large');
      expect((await api().get('/users')).body.items).toEqual([]);
    });
  });

  describe('GET /users/{id}', () => {
    it('answers 400 for a malformed id and 404 for an unknown one', async () => {
      const malformed = await api().get('/users/not-a-uuid');
      expectProblem(malformed, 400, 'validation-error');
      expect(malformed.body.errors).toEqual([{ in: 'path', field: 'id', message: 'must be a valid uuid' }]);
      expectProblem(await api().get('/users/6f1c3f6e-8f7a-4b7e-9a53-0b8f5a1d2c3e'), 404, 'not-found');
    });
  });

  describe('GET /users', () => {
    it('pages through users in creation order', async () => {
      const created = [];
      for (let i = 0; i < 5; i++)
        created.push((await create({ email: `u${i}@example.com`, name: `User ${i}` }).expect(201)).body);
      const first = await api().get('/users?limit=2').expect(200);
      expect(first.body.items).toEqual(created.slice(0, 2));
      expect(typeof first.body.nextCursor).toBe('string');
      const second = await api().get(`/users?limit=2&cursor=${first.body.nextCursor}`).expect(200);
      expect(second.body.items).toEqual(created.slice(2, 4));
      const last = await api().get(`/users?limit=2&cursor=${second.body.nextCursor}`).expect(200);
      expect(last.body).toEqual({ items: created.slice(4), nextCursor: null });
      const all = await api().get('/users').expect(200);
      expect(all.body).toEqual({ items: created, nextCursor: null });
    });

    it('defaults the limit to 20', async () => {
      for (let i = 0; i < 21; i++) await create({ email: `p${i}@example.com`, name: 'P' }).expect(201);
      const page = await api().get('/users').expect(200);
      expect(page.body.items).toHaveLength(20);
      expect(page.body.nextCursor).not.toBeNull();
    });

    it.each([['limit=0'], ['limit=101'], ['limit=abc'], ['limit=1.5'], ['cursor=garbage'], ['cursor='], ['sort=name']])(
      'rejects %s with 400',
      async (query) => {
        expectProblem(await api().get(`/users?${query}`), 400, 'validation-error');
      },
    );

    it('accepts the limit bounds 1 and 100', async () => {
      await api().get('/users?limit=1').expect(200);
      await api().get('/users?limit=100').expect(200);
    });
  });

  describe('PATCH /users/{id}', () => {
    it('changes the name and/or email and moves updatedAt', async () => {
      const user = (await create({ email: 'old@example.com', name: 'Old' }).expect(201)).body;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const renamed = await api().patch(`/users/${user.id}`).send({ name: 'New' }).expect(200);
      expect(renamed.body).toMatchObject({
        id: user.id,
        email: 'old@example.com',
        name: 'New',
        createdAt: user.createdAt,
      });
      expect(renamed.body.updatedAt > user.updatedAt).toBe(true);
      const moved = await api().patch(`/users/${user.id}`).send({ email: ' NEW@Example.com' }).expect(200);
      expect(moved.body).toMatchObject({ email: 'new@example.com', name: 'New' });
      await api().get(`/users/${user.id}`).expect(200, moved.body);
    });

    it('answers 409 when the new email belongs to someone else, and changes nothing', async () => {
      await create({ email: 'taken@example.com', name: 'A' }).expect(201);
      const user = (await create({ email: 'mine@example.com', name: 'B' }).expect(201)).body;
      expectProblem(
        await api().patch(`/users/${user.id}`).send({ email: 'TAKEN@example.com', name: 'C' }),
        409,
        'conflict',
      );
      await api().get(`/users/${user.id}`).expect(200, user);
    });

    it('answers 400 for an empty or invalid body and 404 for an unknown user', async () => {
      const user = (await create({ email: 'p@example.com', name: 'P' }).expect(201)).body;
      expectProblem(await api().patch(`/users/${user.id}`).send({}), 400, 'validation-error');
      expectProblem(await api().patch(`/users/${user.id}`).send({ name: '' }), 400, 'validation-error');
      expectProblem(await api().patch(`/users/${user.id}`).send({ id: 'x' }), 400, 'validation-error');
      expectProblem(await api().patch('/users/bad-id').send({ name: 'x' }), 400, 'validation-error');
      expectProblem(
        await api().patch('/users/6f1c3f6e-8f7a-4b7e-9a53-0b8f5a1d2c3e').send({ name: 'x' }),
        404,
        'not-found',
      );
    });
  });

  describe('DELETE /users/{id}', () => {
    it('deletes with 204, then answers 404, and frees the email', async () => {
      const user = (await create({ email: 'gone@example.com', name: 'G' }).expect(201)).body;
      await api().delete(`/users/${user.id}`).expect(204, '');
      expectProblem(await api().get(`/users/${user.id}`), 404, 'not-found');
      expectProblem(await api().delete(`/users/${user.id}`), 404, 'not-found');
      await create({ email: 'gone@example.com', name: 'G again' }).expect(201);
    });
  });

  describe('operations', () => {
    it('is ready with its database check, and serves metrics with route templates', async () => {
      const ready = await api().get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({ status: 'ok', checks: { database: { status: 'ok' } } });
      await api().get('/users/6f1c3f6e-8f7a-4b7e-9a53-0b8f5a1d2c3e').expect(404);
      const metrics = await api().get('/metrics').expect(200);
      expect(metrics.text).toMatch(
        /http_server_requests_total\{method="GET",route="\/users\/:id",status_code="404"\} \d+/,
      );
    });

    it('sends helmet headers and no x-powered-by, and answers unknown routes with a 404 problem', async () => {
      const res = await api().get('/nope');
      expectProblem(res, 404, 'route-not-found');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });

    it('logs one line per request with the route template', async () => {
      await api().get('/users?limit=1').set('x-request-id', 'trace-me').expect(200);
      const line = service.logs.map((l) => JSON.parse(l)).find((l) => l.request_id === 'trace-me');
      expect(line).toMatchObject({
        msg: 'request completed',
        method: 'GET',
        route: '/users',
        status_code: 200,
        service: 'user-service',
      });
    });
  });
});
