import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { problems, ProblemError } from '@platform/errors';
import { problemHandler, jsonBody } from '@platform/errors/express';
import { problemDetails } from '@platform/errors/fastify';
import { ProblemDetailsFilter } from '@platform/errors/nest';
import { AUTHENTICATOR } from '@platform/auth/nest';
import { schemaValidator } from '@platform/validation';
import { Type } from 'typebox';
import express from 'express';
import Fastify from 'fastify';
import { IdParams, openApiDocument, operation, problemResponses } from '../src/index';
import { openApiRouter, operationRouter, route } from '../src/express';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { openApi, operationRoute } from '../src/fastify';
import { Input, OpenApiModule, Route } from '../src/nest';

// The same two operations on each framework's adapter: they must answer alike.
const Note = Type.Object({ id: Type.String(), text: Type.String() }, { additionalProperties: false });
const createNote = operation({
  method: 'post',
  path: '/notes',
  operationId: 'createNote',
  summary: 'Create a note',
  tags: ['notes'],
  security: 'public',
  body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 20 }) }, { additionalProperties: false }),
  successStatus: 201,
  responses: { 201: { description: 'The note.', schema: Note } },
});
const getNote = operation({
  method: 'get',
  path: '/notes/{id}',
  operationId: 'getNote',
  summary: 'Read a note',
  tags: ['notes'],
  security: 'public',
  params: IdParams,
  successStatus: 200,
  responses: { 200: { description: 'The note.', schema: Note }, ...problemResponses(404) },
});
const document = openApiDocument({
  info: { title: 'notes', version: '1', description: 'Notes.' },
  operations: [createNote, getNote],
});
const ID = '0b6f3c1e-7a4e-4c8e-9d52-3f1f0f0e2a11';
const notes = {
  create: (text: string) => ({ id: ID, text }),
  get: (id: string) => {
    if (id !== ID) throw new ProblemError(problems.notFound, `Note ${id} does not exist.`);
    return { id, text: 'hello' };
  },
};

async function expressApp(): Promise<Server> {
  const app = express();
  app.use(openApiRouter(document));
  const router = operationRouter({ bodyLimitBytes: 1024 });
  route(router, createNote, ({ body }) => notes.create(body.text));
  route(router, getNote, ({ params }) => notes.get(params.id));
  app.use(router, problemHandler());
  return createServer(app);
}

async function fastifyApp(): Promise<Server> {
  const app = Fastify();
  app.setValidatorCompiler(({ schema, httpPart }) => schemaValidator(schema, httpPart === 'body' ? 'body' : 'query'));
  await app.register(problemDetails);
  await app.register(openApi, { document });
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.route({
    ...operationRoute(createNote),
    handler: async (request, reply) => reply.code(201).send(notes.create(request.body.text)),
  });
  typed.route({ ...operationRoute(getNote), handler: (request) => notes.get(request.params.id) });
  await app.ready();
  return app.server;
}

@Controller()
class NotesController {
  @Route(createNote)
  create(@Input() { body }: Input<typeof createNote>) {
    return notes.create(body.text);
  }

  @Route(getNote)
  get(@Input() { params }: Input<typeof getNote>) {
    return notes.get(params.id);
  }
}

// Public operations: `@Route`'s guard admits every caller and verifies no token.
@Module({
  imports: [OpenApiModule.forRoot(document)],
  controllers: [NotesController],
  providers: [{ provide: AUTHENTICATOR, useValue: null }],
})
class NotesModule {}

async function nestApp(): Promise<Server> {
  const app = await NestFactory.create(NotesModule, new ExpressAdapter(), { bodyParser: false, logger: false });
  app.use(...jsonBody({ limitBytes: 1024 }));
  app.useGlobalFilters(new ProblemDetailsFilter());
  await app.init();
  return app.getHttpServer() as Server;
}

describe.each([
  ['express', expressApp],
  ['fastify', fastifyApp],
  ['nest', nestApp],
])('the %s adapter', (_name, build) => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = await build();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (body?: string) =>
    fetch(`${base}/notes`, {
      method: 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body,
    });
  const answer = async (res: Response) => ({ status: res.status, body: await res.json() });

  it('answers an operation with its success status and the handler’s value', async () => {
    expect(await answer(await post('{"text":"hi"}'))).toEqual({ status: 201, body: { id: ID, text: 'hi' } });
    expect(await answer(await fetch(`${base}/notes/${ID}`))).toEqual({ status: 200, body: { id: ID, text: 'hello' } });
  });

  it('refuses bad input with the same problem as the other frameworks', async () => {
    const bad = await answer(await post('{"text":"","extra":1}'));
    expect(bad.body).toMatchObject({
      type: 'urn:problem-type:validation-error',
      errors: [
        { in: 'body', field: 'extra', message: 'is not allowed' },
        { in: 'body', field: 'text', message: 'must NOT have fewer than 1 characters' },
      ],
    });
    const missing = await answer(await post());
    expect(missing).toMatchObject({
      status: 400,
      body: { errors: [{ in: 'body', field: '', message: 'is required' }] },
    });
    const path = await answer(await fetch(`${base}/notes/not-an-id`));
    expect(path.body).toMatchObject({ errors: [{ in: 'path', field: 'id', message: 'must be a valid uuid' }] });
    const unknown = await answer(await fetch(`${base}/notes/6f1c3f6e-8f7a-4b7e-9a53-0b8f5a1d2c3e`));
    expect(unknown).toMatchObject({ status: 404, body: { type: 'urn:problem-type:not-found' } });
  });

  it('serves the document', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(document)));
  });
});

describe('an operation router', () => {
  it('refuses, when it is registered, a route that is not an operation, however it is written', () => {
    const router = operationRouter();
    const plain = (_req: unknown, res: { json(body: unknown): void }) => res.json({ open: true });
    for (const register of [
      () => router.get('/notes/:id/secret', plain),
      () => router.post('/notes', plain),
      () => router.all('/notes', plain),
      () => router.route('/notes').get(plain),
    ])
      expect(register).toThrow(/is not an operation of the API: register it with route\(router, operation, handler\)/);
    // An operation, registered by `route`, is taken.
    expect(() => route(router, getNote, ({ params }) => ({ id: params.id, text: '' }))).not.toThrow();
  });
});
