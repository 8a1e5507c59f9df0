import { type AddressInfo, connect } from 'node:net';
import request from 'supertest';
import { frameworks, type TestApp } from './apps';

const problemShape = {
  type: expect.stringMatching(/^urn:problem-type:/),
  title: expect.any(String),
  status: expect.any(Number),
  detail: expect.any(String),
};

describe.each(Object.keys(frameworks) as (keyof typeof frameworks)[])('platform on %s', (framework) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await frameworks[framework]();
  });
  afterEach(() => app.close());

  it('echoes a caller request id, makes one otherwise, and logs one line per request with the route template', async () => {
    const given = await request(app.server).get('/items/42').set('x-request-id', 'req-abc').expect(200);
    expect(given.headers['x-request-id']).toBe('req-abc');
    const made = await request(app.server).get('/items/43').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const lines = app.logs.filter((l) => l['msg'] === 'request completed');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      request_id: 'req-abc',
      method: 'GET',
      route: '/items/:id',
      status_code: 200,
      service: 'test-service',
    });
    expect(typeof lines[0]?.['duration_ms']).toBe('number');
    expect(lines[1]).toMatchObject({ request_id: made.headers['x-request-id'] });
  });

  it('sets security headers and hides the framework', async () => {
    const res = await request(app.server).get('/items/1').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('renders a domain error as problem details', async () => {
    const res = await request(app.server)
      .get('/items/missing')
      .expect(404)
      .expect('content-type', /application\/problem\+json/);
    expect(res.body).toEqual({
      ...problemShape,
      type: 'urn:problem-type:not-found',
      status: 404,
      detail: 'Item missing does not exist.',
      instance: '/items/missing',
      requestId: res.headers['x-request-id'],
    });
  });

  it('answers what the HTTP parser refuses with problem details and a request id; headers up to 32 KiB pass', async () => {
    const { port } = app.server.address() as AddressInfo;
    const send = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(text));
        let answer = '';
        socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
        socket.on('close', () => resolve(answer)).on('error', reject);
      });
    const head = (answer: string) => ({
      status: Number(answer.split(' ', 2)[1]),
      requestId: /^x-request-id: (\S+)/im.exec(answer)?.[1],
      body: JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>,
    });
    const unknownMethod = head(await send('BREW /items/1 HTTP/1.1\r\nhost: x\r\n\r\n'));
    expect(unknownMethod).toMatchObject({ status: 400, body: { type: 'urn:problem-type:bad-request', status: 400 } });
    expect(unknownMethod.body['requestId']).toBe(unknownMethod.requestId);
    const huge = head(await send(`GET /items/1 HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(40_000)}\r\n\r\n`));
    expect(huge).toMatchObject({ status: 431, body: { type: 'urn:problem-type:headers-too-large', status: 431 } });
    await request(app.server).get('/items/1').set('x-big', 'a'.repeat(20_000)).expect(200);
  });

  it('answers an unknown route with a 404 problem', async () => {
    const res = await request(app.server).get('/nope?x=1').expect(404);
    expect(res.body).toMatchObject({ ...problemShape, type: 'urn:problem-type:route-not-found', instance: '/nope' });
  });

  it('hides an unexpected error behind a generic 500 and logs it', async () => {
    const res = await request(app.server).get('/boom').expect(500);
    expect(res.body).toMatchObject({ ...problemShape, type: 'urn:problem-type:internal-error', status: 500 });
    expect(JSON.stringify(res.body)).not.toMatch(/secret|SELECT|at /);
    expect(app.logs.some((l) => l['msg'] === 'unexpected error' && l['level'] === 'error')).toBe(true);
  });

  it('accepts JSON and rejects malformed JSON (400), other media types (415) and large bodies (413)', async () => {
    await request(app.server).post('/echo').send({ a: 1 }).expect(201, { a: 1 });
    const malformed = await request(app.server)
      .post('/echo')
      .set('content-type', 'application/json')
      .send('{"a":')
      .expect(400);
    expect(malformed.body).toMatchObject({ ...problemShape, type: 'urn:problem-type:malformed-json' });
    const text = await request(app.server).post('/echo').set('content-type', 'text/plain').send('hello').expect(415);
    expect(text.body).toMatchObject({ ...problemShape, type: 'urn:problem-type:unsupported-media-type' });
    const large = await request(app.server)
      .post('/echo')
      .send({ big: 'x'.repeat(2000) })
      .expect(413);
    expect(large.body).toMatchObject({ ...problemShape, type: 'urn:problem-type:payload-too-large' });
  });

  it('answers the edge cases of a body the same way in every framework', async () => {
    const post = (type: string | undefined, body: string) => {
      const req = request(app.server).post('/echo');
      return (type === undefined ? req : req.set('content-type', type)).send(body);
    };
    const latin1 = await post('application/json; charset=latin1', '{"a":1}');
    expect({ status: latin1.status, type: latin1.body.type }).toEqual({
      status: 415,
      type: 'urn:problem-type:unsupported-media-type',
    });
    const suffixed = await post('application/merge-patch+json; charset=utf-8', '{"a":1}');
    expect({ status: suffixed.status, body: suffixed.body }).toEqual({ status: 201, body: { a: 1 } });
    const empty = await post('application/json', '');
    expect(empty.status).toBe(201);
    expect(empty.text).toBe('');
    const nothing = await post('application/json', 'null');
    expect(nothing.status).toBe(201);
    expect(nothing.body).toBeNull();
    // A GET's body is never read: not even a malformed one is an error.
    await request(app.server).get('/items/1').set('content-type', 'application/json').send('{"a":').expect(200);
  });

  it('refuses a deeply nested body and a bad percent-encoding with 400 problems, not 500', async () => {
    const deep = await request(app.server)
      .post('/echo')
      .set('content-type', 'application/json')
      .send('['.repeat(200) + ']'.repeat(200))
      .expect(400);
    expect(deep.body).toMatchObject({
      ...problemShape,
      type: 'urn:problem-type:validation-error',
      detail: 'The JSON body is nested more than 32 levels deep.',
    });
    await request(app.server)
      .post('/echo')
      .send({ a: { b: { c: [1, [2, [3]]] } } })
      .expect(201);
    const encoded = await request(app.server).get('/items/%ff%fe');
    expect(encoded.status).toBe(400);
    expect(encoded.body).toMatchObject({ ...problemShape, status: 400 });
  });

  it('keeps route label cardinality bounded under a scan of random URLs', async () => {
    for (let i = 0; i < 150; i++) {
      await request(app.server)
        .get(`/scan/${Math.random().toString(36).slice(2)}/${i}`)
        .expect(404);
      await request(app.server).get(`/items/${i}`).expect(200);
    }
    const metrics = await request(app.server)
      .get('/metrics')
      .expect(200)
      .expect('content-type', /text\/plain/);
    const routes = new Set(
      [...metrics.text.matchAll(/^http_server_requests_total\{[^}]*route="([^"]*)"/gm)].map((m) => m[1]),
    );
    expect([...routes].sort()).toEqual(['/items/:id', 'unmatched']);
    expect(metrics.text).toMatch(
      /http_server_request_duration_seconds_bucket\{[^}]*method="GET"[^}]*route="\/items\/:id"[^}]*status_code="200"/,
    );
  });
});
