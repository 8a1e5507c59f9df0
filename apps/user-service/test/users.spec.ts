import { bearer, ORDER_SERVICE_ACCOUNT, TestIssuer } from '@platform/auth/testing';
import {
  checkedAgent,
  ContractChecker,
  expectProblem as expectPlatformProblem,
  itServesItsCommittedContract,
} from '@platform/contracts/testing';
import { WORKSPACE_ROOT } from '@platform/testing';
import request from 'supertest';
import { testEngines } from '@platform/persistence/testing';
import { api as contract } from '../src/api';
import { startTestService, type TestService } from './harness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe.each(testEngines())('user-service API on %s', (engine) => {
  let issuer: TestIssuer;
  let service: TestService;
  let admin: string;
  let orderService: string;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
    service = await startTestService(engine, issuer);
    admin = await issuer.admin();
    orderService = await issuer.workload('user-service');
  });
  afterAll(async () => {
    await service.close();
    await issuer.close();
  });
  beforeEach(() => service.db.query('DELETE FROM users'));

  // Every response these tests see must be one the service's OpenAPI document allows.
  const checker = new ContractChecker(contract.document);
  afterEach(() => expect(checker.violations.splice(0)).toEqual([]));
  /** An agent for the caller with this token (none: no Authorization header). */
  const as = (token?: string) => checkedAgent(request(service.app), checker, token === undefined ? {} : bearer(token));
  /** A person's agent, by subject. */
  const person = async (subject: string) => as(await issuer.person(subject));

  itServesItsCommittedContract(
    WORKSPACE_ROOT,
    'user-service',
    async () => (await request(service.app).get('/openapi.json').expect(200)).body,
  );
  const expectProblem = (res: request.Response, status: number, code: string) => {
    expectPlatformProblem(res, status, code);
    expect(JSON.stringify(res.body)).not.toMatch(/users_email_key/);
  };
  /** A new person with a profile: their agent and their user. */
  const profile = async (subject: string, email = `${subject}@example.com`) => {
    const agent = await person(subject);
    const user = (await agent.post('/users').send({ email, name: subject }).expect(201)).body;
    return { agent, user };
  };

  describe('POST /users', () => {
    it('creates the caller’s own profile with a trimmed, lower-cased email, 201 and a Location', async () => {
      const ada = await person('ada');
      const res = await ada
        .post('/users')
        .send({ email: '  Ada.Lovelace@Example.COM ', name: 'Ada Lovelace' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        email: 'ada.lovelace@example.com',
        name: 'Ada Lovelace',
        owner: { issuer: issuer.url, subject: 'ada' },
        createdAt: expect.stringMatching(ISO),
        updatedAt: res.body.createdAt,
      });
      expect(res.headers['location']).toBe(`/users/${res.body.id}`);
      await ada.get(res.headers['location'] as string).expect(200, res.body);
    });

    it('refuses a second profile for the same person (409)', async () => {
      const { agent } = await profile('ada');
      expectProblem(
        await agent.post('/users').send({ email: 'other@example.com', name: 'Ada again' }),
        409,
        'profile-exists',
      );
    });

    it('refuses an email already used, whatever its case (409)', async () => {
      await profile('grace', 'grace@example.com');
      const res = await (
        await person('other')
      )
        .post('/users')
        .send({ email: 'GRACE@example.com ', name: 'Other Grace' });
      expectProblem(res, 409, 'email-taken');
    });

    it.each([
      ['a bad email', { email: 'not-an-email', name: 'X' }, ['email']],
      ['an email with a space inside', { email: 'a b@example.com', name: 'X' }, ['email']],
      ['an empty name', { email: 'x@example.com', name: '' }, ['name']],
      ['a blank name', { email: 'x@example.com', name: '   ' }, ['name']],
      ['a name over 100 characters', { email: 'x@example.com', name: 'n'.repeat(101) }, ['name']],
      ['a name with a null byte', { email: 'x@example.com', name: 'a\u0000b' }, ['name']],
      ['an unknown field', { email: 'x@example.com', name: 'X', admin: true }, ['admin']],
      [
        'an owner of its own choosing',
        { email: 'x@example.com', name: 'X', owner: { issuer: 'i', subject: 's' } },
        ['owner'],
      ],
      ['missing fields', {}, ['email', 'name']],
      ['wrong types', { email: 42, name: ['x'] }, ['email', 'name']],
    ])('rejects %s with 400 naming each field', async (_case, body, fields) => {
      const res = await (await person('ada')).post('/users').send(body);
      expectProblem(res, 400, 'validation-error');
      expect([...new Set(res.body.errors.map((e: { field: string }) => e.field))].sort()).toEqual([...fields].sort());
    });

    it('accepts a name of exactly 100 characters', async () => {
      await (
        await person('ada')
      )
        .post('/users')
        .send({ email: 'x@example.com', name: 'n'.repeat(100) })
        .expect(201);
    });

    it('answers malformed JSON 400, a non-JSON body 415 and a body over 100 kB 413', async () => {
      const ada = await person('ada');
      expectProblem(
        await ada.post('/users').set('content-type', 'application/json').send('{"email":'),
        400,
        'malformed-json',
      );
      expectProblem(
        await ada.post('/users').set('content-type', 'text/plain').send('email=x'),
        415,
        'unsupported-media-type',
      );
      expectProblem(
        await ada.post('/users').send({ email: 'x@example.com', name: 'x'.repeat(101 * 1024) }),
        413,
        'payload-too-large',
      );
      expect((await as(admin).get('/users')).body.items).toEqual([]);
    });

    it('is for people: order-service’s token may not create a profile (403)', async () => {
      expectProblem(
        await as(orderService).post('/users').send({ email: 'x@example.com', name: 'X' }),
        403,
        'insufficient-scope',
      );
    });
  });

  describe('GET /users/me', () => {
    it('answers the caller’s own profile, or 404 when they have none', async () => {
      const { agent, user } = await profile('ada');
      await agent.get('/users/me').expect(200, user);
      expectProblem(await (await person('nobody')).get('/users/me'), 404, 'not-found');
    });
  });

  describe('who sees a user', () => {
    it('shows a user to its owner, an administrator and order-service; to anyone else it does not exist', async () => {
      const { agent: ada, user } = await profile('ada');
      await ada.get(`/users/${user.id}`).expect(200, user);
      await as(admin).get(`/users/${user.id}`).expect(200, user);
      await as(orderService).get(`/users/${user.id}`).expect(200, user);
      const grace = await person('grace');
      const hidden = await grace.get(`/users/${user.id}`);
      const missing = await grace.get('/users/6f1c3f6e-8f7a-4b7e-9a53-0b8f5a1d2c3e');
      expectProblem(hidden, 404, 'not-found');
      // Exactly as if it did not exist: nothing but the id differs.
      expect(hidden.body.detail.replace(user.id, 'ID')).toBe(
        missing.body.detail.replace('6f1c3f6e-8f7a-4b7e-9a53-0b8f5a1d2c3e', 'ID'),
      );
    });

    it('lets the owner and an administrator change and delete a user; anyone else gets 404 and changes nothing', async () => {
      const { agent: ada, user } = await profile('ada');
      const grace = await person('grace');
      expectProblem(await grace.patch(`/users/${user.id}`).send({ name: 'Mallory' }), 404, 'not-found');
      expectProblem(await grace.delete(`/users/${user.id}`), 404, 'not-found');
      expectProblem(await as(orderService).patch(`/users/${user.id}`).send({ name: 'X' }), 403, 'insufficient-scope');
      expectProblem(await as(orderService).delete(`/users/${user.id}`), 403, 'insufficient-scope');
      await ada.get(`/users/${user.id}`).expect(200, user);
      await ada.patch(`/users/${user.id}`).send({ name: 'Ada L.' }).expect(200);
      await as(admin).patch(`/users/${user.id}`).send({ name: 'Ada (admin)' }).expect(200);
      await as(admin).delete(`/users/${user.id}`).expect(204);
      expectProblem(await ada.get('/users/me'), 404, 'not-found');
    });

    it('lists users for administrators and order-service only (403 for a person, naming the scope)', async () => {
      const { user: ada } = await profile('ada');
      const { user: grace } = await profile('grace');
      const refused = await (await person('ada')).get('/users');
      expectProblem(refused, 403, 'insufficient-scope');
      expect(refused.headers['www-authenticate']).toBe(
        'Bearer realm="platform", error="insufficient_scope", scope="platform:admin"',
      );
      await as(admin)
        .get('/users')
        .expect(200, { items: [ada, grace], nextCursor: null });
      await as(orderService)
        .get(`/users?issuer=${encodeURIComponent(issuer.url)}&subject=grace`)
        .expect(200, { items: [grace], nextCursor: null });
      const stranger = await issuer.workload('user-service', 'system:serviceaccount:default:default');
      expectProblem(await as(stranger).get('/users'), 403, 'insufficient-scope');
    });
  });

  describe('without a valid token', () => {
    const ID = '6f1c3f6e-8f7a-4b7e-9a53-0b8f5a1d2c3e';
    const calls: [string, (agent: ReturnType<typeof as>) => request.Test][] = [
      ['POST /users', (a) => a.post('/users').send({ email: 'x@example.com', name: 'X' })],
      ['GET /users/me', (a) => a.get('/users/me')],
      ['GET /users', (a) => a.get('/users')],
      ['GET /users/{id}', (a) => a.get(`/users/${ID}`)],
      ['PATCH /users/{id}', (a) => a.patch(`/users/${ID}`).send({ name: 'x' })],
      ['DELETE /users/{id}', (a) => a.delete(`/users/${ID}`)],
    ];

    it.each(calls)('answers %s with 401 and a bearer challenge', async (_call, call) => {
      const res = await call(as());
      expectProblem(res, 401, 'authentication-required');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="platform"');
      const expired = await call(
        as(await issuer.person('ada', { extra: { exp: Math.floor(Date.now() / 1000) - 120 } })),
      );
      expectProblem(expired, 401, 'invalid-token');
      expect(expired.headers['www-authenticate']).toBe('Bearer realm="platform", error="invalid_token"');
    });

    it('answers 401 before it reads the body: a stranger learns nothing from 400 or 415', async () => {
      expectProblem(
        await as().post('/users').set('content-type', 'text/plain').send('x'),
        401,
        'authentication-required',
      );
      expectProblem(await as().get('/users/not-a-uuid'), 401, 'authentication-required');
    });

    it('answers 503 with Retry-After when the issuer is down and no key is cached', async () => {
      const down = await TestIssuer.start();
      const cold = await startTestService('pglite', down);
      try {
        const token = await down.person('ada');
        down.available = false;
        const res = await checkedAgent(request(cold.app), checker, bearer(token)).get('/users/me');
        expectProblem(res, 503, 'dependency-unavailable');
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      } finally {
        await cold.close();
        await down.close();
      }
    });
  });

  describe('GET /users/{id}', () => {
    it('answers 400 for a malformed id and 404 for an unknown one', async () => {
      const malformed = await as(admin).get('/users/not-a-uuid');
      expectProblem(malformed, 400, 'validation-error');
      expect(malformed.body.errors).toEqual([{ in: 'path', field: 'id', message: 'must be a valid uuid' }]);
      expectProblem(await as(admin).get('/users/6f1c3f6e-8f7a-4b7e-9a53-0b8f5a1d2c3e'), 404, 'not-found');
    });
  });

  describe('GET /users', () => {
    it('pages through users in creation order', async () => {
      const created = [];
      for (let i = 0; i < 5; i++) created.push((await profile(`u${i}`)).user);
      const api = as(admin);
      const first = await api.get('/users?limit=2').expect(200);
      expect(first.body.items).toEqual(created.slice(0, 2));
      expect(typeof first.body.nextCursor).toBe('string');
      const second = await api.get(`/users?limit=2&cursor=${first.body.nextCursor}`).expect(200);
      expect(second.body.items).toEqual(created.slice(2, 4));
      const last = await api.get(`/users?limit=2&cursor=${second.body.nextCursor}`).expect(200);
      expect(last.body).toEqual({ items: created.slice(4), nextCursor: null });
      const all = await api.get('/users').expect(200);
      expect(all.body).toEqual({ items: created, nextCursor: null });
    });

    it('defaults the limit to 20', async () => {
      for (let i = 0; i < 21; i++) await profile(`p${i}`);
      const page = await as(admin).get('/users').expect(200);
      expect(page.body.items).toHaveLength(20);
      expect(page.body.nextCursor).not.toBeNull();
    });

    it.each([['limit=0'], ['limit=101'], ['limit=abc'], ['limit=1.5'], ['cursor=garbage'], ['cursor='], ['sort=name']])(
      'rejects %s with 400',
      async (query) => {
        expectProblem(await as(admin).get(`/users?${query}`), 400, 'validation-error');
      },
    );

    it('accepts the limit bounds 1 and 100', async () => {
      await as(admin).get('/users?limit=1').expect(200);
      await as(admin).get('/users?limit=100').expect(200);
    });
  });

  describe('PATCH /users/{id}', () => {
    it('changes the name and/or email and moves updatedAt', async () => {
      const { agent, user } = await profile('old', 'old@example.com');
      await new Promise((resolve) => setTimeout(resolve, 5));
      const renamed = await agent.patch(`/users/${user.id}`).send({ name: 'New' }).expect(200);
      expect(renamed.body).toMatchObject({
        id: user.id,
        email: 'old@example.com',
        name: 'New',
        owner: user.owner,
        createdAt: user.createdAt,
      });
      expect(renamed.body.updatedAt > user.updatedAt).toBe(true);
      const moved = await agent.patch(`/users/${user.id}`).send({ email: ' NEW@Example.com' }).expect(200);
      expect(moved.body).toMatchObject({ email: 'new@example.com', name: 'New' });
      await agent.get(`/users/${user.id}`).expect(200, moved.body);
    });

    it('answers 409 when the new email belongs to someone else, and changes nothing', async () => {
      await profile('a', 'taken@example.com');
      const { agent, user } = await profile('b', 'mine@example.com');
      expectProblem(
        await agent.patch(`/users/${user.id}`).send({ email: 'TAKEN@example.com', name: 'C' }),
        409,
        'email-taken',
      );
      await agent.get(`/users/${user.id}`).expect(200, user);
    });

    it('answers 400 for an empty or invalid body and 404 for an unknown user', async () => {
      const { agent, user } = await profile('p');
      expectProblem(await agent.patch(`/users/${user.id}`).send({}), 400, 'validation-error');
      expectProblem(await agent.patch(`/users/${user.id}`).send({ name: '' }), 400, 'validation-error');
      expectProblem(await agent.patch(`/users/${user.id}`).send({ id: 'x' }), 400, 'validation-error');
      expectProblem(await agent.patch(`/users/${user.id}`).send({ owner: null }), 400, 'validation-error');
      expectProblem(await agent.patch('/users/bad-id').send({ name: 'x' }), 400, 'validation-error');
      expectProblem(
        await agent.patch('/users/6f1c3f6e-8f7a-4b7e-9a53-0b8f5a1d2c3e').send({ name: 'x' }),
        404,
        'not-found',
      );
    });
  });

  describe('DELETE /users/{id}', () => {
    it('deletes with 204, then answers 404, and frees the email and the profile', async () => {
      const { agent, user } = await profile('gone', 'gone@example.com');
      await agent.delete(`/users/${user.id}`).expect(204, '');
      expectProblem(await agent.get(`/users/${user.id}`), 404, 'not-found');
      expectProblem(await agent.delete(`/users/${user.id}`), 404, 'not-found');
      await agent.post('/users').send({ email: 'gone@example.com', name: 'G again' }).expect(201);
    });
  });

  describe('operations', () => {
    it('is ready with its database check, and serves metrics with route templates, all without a token', async () => {
      const ready = await as().get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({ status: 'ok', checks: { database: { status: 'ok' } } });
      await as(admin).get('/users/6f1c3f6e-8f7a-4b7e-9a53-0b8f5a1d2c3e').expect(404);
      const metrics = await as().get('/metrics').expect(200);
      expect(metrics.text).toMatch(
        /http_server_requests_total\{method="GET",route="\/users\/:id",status_code="404"\} \d+/,
      );
    });

    it('sends helmet headers and no x-powered-by, and answers unknown routes with a 404 problem', async () => {
      const res = await as().get('/nope');
      expectProblem(res, 404, 'route-not-found');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });

    it('logs one line per request with the route template and the caller, never the token', async () => {
      const token = await issuer.person('ada');
      await as(token).get('/users/me').set('x-request-id', 'trace-me').expect(404);
      await as(orderService).get('/users?limit=1').set('x-request-id', 'trace-workload').expect(200);
      const lines = service.logs.map((l) => JSON.parse(l));
      expect(lines.find((l) => l.request_id === 'trace-me')).toMatchObject({
        msg: 'request completed',
        method: 'GET',
        route: '/users/me',
        status_code: 404,
        service: 'user-service',
        principal: 'ada',
      });
      expect(lines.find((l) => l.request_id === 'trace-workload')).toMatchObject({ principal: ORDER_SERVICE_ACCOUNT });
      expect(service.logs.join('\n')).not.toContain(token.split('.')[2]);
    });
  });
});
