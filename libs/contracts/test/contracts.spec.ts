import type { Principal } from '@platform/auth';
import { isProblemError } from '@platform/errors';
import { Type } from 'typebox';
import {
  IdParams,
  openApiDocument,
  operation,
  Page,
  pageQuery,
  PrintableText,
  problemResponses,
  requestValidator,
  type RawRequest,
  routeTable,
  Uuid,
} from '../src/index';
import { ContractChecker } from '../src/testing';

const Thing = Type.Object({ id: Uuid(), name: Type.String() }, { additionalProperties: false, $id: 'Thing' });
const createThing = operation({
  method: 'post',
  path: '/things',
  operationId: 'createThing',
  summary: 'Create a thing',
  tags: ['things'],
  security: { people: ['things:write'], workloads: true },
  headers: Type.Object({ 'idempotency-key': Type.String({ minLength: 1 }) }),
  body: Type.Object({ name: PrintableText({ maxLength: 10, blank: false }) }, { additionalProperties: false }),
  successStatus: 201,
  responses: {
    201: { description: 'The thing.', schema: Thing, headers: { location: { description: 'URL', required: true } } },
  },
});
const listThings = operation({
  method: 'get',
  path: '/things',
  operationId: 'listThings',
  summary: 'List things',
  tags: ['things'],
  security: 'public',
  query: pageQuery({ name: Type.Optional(Type.String()) }),
  successStatus: 200,
  responses: { 200: { description: 'A page.', schema: Page(Thing) } },
});
const getThing = operation({
  method: 'get',
  path: '/things/{id}',
  operationId: 'getThing',
  summary: 'Read a thing',
  tags: ['things'],
  security: 'public',
  params: IdParams,
  successStatus: 200,
  responses: { 200: { description: 'The thing.', schema: Thing }, ...problemResponses(404) },
});
const getMine = operation({
  method: 'get',
  path: '/things/mine',
  operationId: 'getMine',
  summary: 'My thing',
  tags: ['things'],
  security: { people: ['things:read'] },
  successStatus: 200,
  responses: { 200: { description: 'The thing.', schema: Thing } },
});
const touchThing = operation({
  method: 'post',
  path: '/things/{id}/touch',
  operationId: 'touchThing',
  summary: 'Touch a thing',
  tags: ['things'],
  security: 'public',
  params: IdParams,
  body: Type.Object({}, { additionalProperties: false }),
  bodyOptional: true,
  successStatus: 200,
  responses: { 200: { description: 'The thing.', schema: Thing } },
});
const operations = [createThing, listThings, getThing, getMine, touchThing];
const document = openApiDocument({ info: { title: 'things', version: '1.0.0', description: 'Things.' }, operations });
const ID = '0b6f3c1e-7a4e-4c8e-9d52-3f1f0f0e2a11';

const problemOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    if (isProblemError(error)) return error.toDocument();
    throw error;
  }
  throw new Error('expected a problem');
};

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(
      structuredClone(document) as unknown as Parameters<InstanceType<typeof Validator>['validate']>[0],
    );
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes each operation with its parameters, body, security, own and common responses and headers', () => {
    const create = document.paths['/things']?.['post'] as Record<string, never> & {
      security: unknown;
      parameters: { name: string; in: string; required: boolean }[];
      requestBody: { required: boolean };
      responses: Record<string, { headers: Record<string, { required: boolean }>; content?: Record<string, unknown> }>;
    };
    expect(create.security).toEqual([{ bearer: ['things:write'] }, { workload: [] }]);
    expect(create.parameters).toEqual([
      expect.objectContaining({ name: 'idempotency-key', in: 'header', required: true }),
    ]);
    expect(create.requestBody.required).toBe(true);
    expect(Object.keys(create.responses).sort()).toEqual([
      '201',
      '400',
      '401',
      '403',
      '405',
      '413',
      '415',
      '500',
      '503',
    ]);
    expect(create.responses['201']?.headers['location']?.required).toBe(true);
    expect(create.responses['201']?.headers['x-request-id']?.required).toBe(true);
    expect(create.responses['401']?.headers['www-authenticate']?.required).toBe(true);
    expect(create.responses['503']?.headers['retry-after']?.required).toBe(true);
    expect(create.responses['400']?.content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } },
    });
    // A parameter with a default is not required: a generated client must not force it.
    const list = document.paths['/things']?.['get'] as { parameters: { name: string; required: boolean }[] };
    expect(list.parameters.map(({ name, required }) => [name, required])).toEqual([
      ['name', false],
      ['limit', false],
      ['cursor', false],
    ]);
    const touch = document.paths['/things/{id}/touch']?.['post'] as { requestBody: { required: boolean } };
    expect(touch.requestBody.required).toBe(false);
    expect(Object.keys(document.components['schemas'] ?? {})).toEqual(['ProblemDetails', 'Thing']);
    expect(JSON.stringify(document)).not.toMatch(/"\$id"/);
  });

  it('is the same document every time it is made', () => {
    const again = openApiDocument({ info: document.info, operations: [...operations].reverse() });
    expect(JSON.stringify(again)).toBe(JSON.stringify(document));
  });
});

describe('the route table', () => {
  const routes = routeTable(operations);

  it('names the operation of a path, preferring a literal segment to a parameter', () => {
    expect(routes.template('GET', `/things/${ID}`)).toBe('/things/:id');
    expect(routes.template('GET', '/things/mine')).toBe('/things/mine');
    expect(routes.template('HEAD', '/things')).toBe('/things');
    expect(routes.template('POST', `/things/${ID}/touch`)).toBe('/things/:id/touch');
    expect(routes.template('DELETE', '/things')).toBeUndefined();
    expect(routes.template('GET', '/other')).toBeUndefined();
  });

  it('lists the methods of a path', () => {
    expect(routes.allowedMethods('/things')).toEqual(['GET', 'HEAD', 'POST']);
    expect(routes.allowedMethods(`/things/${ID}/touch`)).toEqual(['POST']);
    expect(routes.allowedMethods('/nothing')).toEqual([]);
  });
});

describe('request validation', () => {
  it('types and defaults the parts, and names every bad field of the first bad part', () => {
    const validate = requestValidator(listThings);
    expect(validate({ query: { limit: '5' } }).query).toEqual({ limit: 5 });
    expect(validate({ query: {} }).query).toEqual({ limit: 20 });
    expect(problemOf(() => validate({ query: { limit: '0', extra: 'x' } }))).toMatchObject({
      status: 400,
      errors: [
        { in: 'query', field: 'extra', message: 'is not allowed' },
        { in: 'query', field: 'limit', message: expect.stringMatching(/>= 1/) },
      ],
    });
  });

  it('never lets a request for an operation that is not public through without its caller (401)', () => {
    expect(
      problemOf(() => requestValidator(createThing)({ headers: { 'idempotency-key': 'k' }, body: { name: 'a' } })),
    ).toMatchObject({ status: 401, type: 'urn:problem-type:authentication-required' });
    expect(requestValidator(createThing)({ ...createRequest, caller: ADA }).caller).toBe(ADA);
  });

  it('wants a body where the operation needs one, and validates an optional one only when present', () => {
    const create = withCaller(requestValidator(createThing));
    const headers = { 'idempotency-key': 'k' };
    expect(problemOf(() => create({ headers }))).toMatchObject({
      type: 'urn:problem-type:validation-error',
      errors: [{ in: 'body', field: '', message: 'is required' }],
    });
    expect(problemOf(() => create({ headers, body: null }))).toMatchObject({ errors: [{ in: 'body', field: '' }] });
    expect(create({ headers, body: { name: 'a' } }).body).toEqual({ name: 'a' });
    const touch = requestValidator(touchThing);
    expect(touch({ params: { id: ID } }).body).toBeUndefined();
    expect(problemOf(() => touch({ params: { id: ID }, body: { x: 1 } }))).toMatchObject({ status: 400 });
  });

  it('checks the path first, then the body, the query and the headers, and reads only declared headers', () => {
    const create = withCaller(requestValidator(createThing));
    expect(problemOf(() => create({ headers: {}, body: { name: '' } })).errors?.map((e) => e.in)).toContain('body');
    expect(problemOf(() => create({ headers: {}, body: { name: '' } })).errors?.map((e) => e.in)).not.toContain(
      'header',
    );
    expect(problemOf(() => create({ headers: { host: 'x' }, body: { name: 'ok' } }))).toMatchObject({
      errors: [{ in: 'header', field: 'idempotency-key', message: 'is required' }],
    });
    expect(create({ headers: { 'idempotency-key': ['a', 'b'] }, body: { name: 'ok' } }).headers).toEqual({
      'idempotency-key': 'a, b',
    });
    const get = withCaller(requestValidator(getThing));
    expect(problemOf(() => get({ params: { id: 'nope' } }))).toMatchObject({
      errors: [{ in: 'path', field: 'id', message: 'must be a valid uuid' }],
    });
  });

  it('refuses blank or control characters in printable text', () => {
    const create = withCaller(requestValidator(createThing));
    for (const name of ['   ', 'a\u0000b', 'a\nb', 'a\u007fb']) {
      expect(problemOf(() => create({ headers: { 'idempotency-key': 'k' }, body: { name } }))).toMatchObject({
        status: 400,
      });
    }
  });
});

/** A person, as a route that admitted the request hands it over. */
const ADA: Principal = { kind: 'person', issuer: 'https://issuer.example', subject: 'ada', scopes: new Set() };
const createRequest = { headers: { 'idempotency-key': 'k' }, body: { name: 'a' } };
/** The validator of a route that admitted its caller. */
const withCaller =
  <T>(validate: (raw: RawRequest) => T) =>
  (raw: RawRequest) =>
    validate({ caller: ADA, ...raw });

describe('the contract checker', () => {
  const ok = { 'x-request-id': 'r', 'content-type': 'application/json; charset=utf-8' };
  const problem = (status: number, code: string) => ({
    status,
    headers: { 'x-request-id': 'r', 'content-type': 'application/problem+json; charset=utf-8' },
    body: { type: `urn:problem-type:${code}`, title: 't', status, detail: 'd' },
  });

  it('passes responses the document allows', () => {
    const checker = new ContractChecker(document);
    checker.check({ method: 'GET', path: `/things/${ID}`, status: 200, headers: ok, body: { id: ID, name: 'a' } });
    checker.check({
      method: 'GET',
      path: '/things?limit=1',
      status: 200,
      headers: ok,
      body: { items: [], nextCursor: null },
    });
    checker.check({ method: 'GET', path: `/things/${ID}`, ...problem(404, 'not-found') });
    checker.check({ method: 'GET', path: '/nowhere', ...problem(404, 'route-not-found') });
    checker.check({ method: 'DELETE', path: '/things', ...problem(405, 'method-not-allowed') });
    expect(checker.violations).toEqual([]);
  });

  it('names each way a response breaks it', () => {
    const checker = new ContractChecker(document);
    const found = [
      checker.check({ method: 'GET', path: `/things/${ID}`, status: 200, headers: ok, body: { id: ID } }),
      checker.check({ method: 'GET', path: `/things/${ID}`, status: 409, headers: ok, body: {} }),
      checker.check({
        method: 'GET',
        path: `/things/${ID}`,
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: { id: ID, name: 'a' },
      }),
      checker.check({ method: 'POST', path: '/things', status: 201, headers: ok, body: { id: ID, name: 'a' } }),
      checker.check({ method: 'GET', path: `/things/${ID}`, status: 404, headers: ok, body: {} }),
      checker.check({ method: 'GET', path: '/nowhere', status: 200, headers: ok, body: {} }),
    ];
    expect(found).toEqual([
      [expect.stringMatching(/body does not match its schema: .*name/)],
      ['status 409 is not declared for GET /things/{id}'],
      ['no x-request-id header'],
      ['required header location is missing'],
      ['content type application/json is not one of application/problem+json'],
      ['no operation for GET /nowhere, and not a route-not-found problem'],
    ]);
    expect(checker.violations).toHaveLength(6);
  });
});
