import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffApis, formatApiChanges } from '../src/tools';

// The committed documents, changed the ways a pull request could change them.
const committed = (service: string) =>
  JSON.parse(readFileSync(join(__dirname, '../../../docs/api', `${service}.openapi.json`), 'utf8')) as Record<
    string,
    any // eslint-disable-line @typescript-eslint/no-explicit-any -- a JSON document edited in place
  >;
const breaking = (base: unknown, head: unknown) =>
  diffApis(base, head)
    .filter((c) => c.breaking)
    .map((c) => `${c.where}: ${c.message}`);

describe('diffApis', () => {
  it.each(['user-service', 'order-service', 'payment-service'])('finds nothing between %s and itself', (service) => {
    expect(diffApis(committed(service), committed(service))).toEqual([]);
  });

  it('calls a removed operation, a removed success status and a new scope breaking', () => {
    const head = committed('user-service');
    delete head['paths']['/users/{id}'].delete;
    delete head['paths']['/users/{id}'].get.responses['200'];
    head['paths']['/users'].post.security = [{ person: ['users:write', 'users:admin'] }];
    expect(breaking(committed('user-service'), head).sort()).toEqual([
      'DELETE /users/{id}: the operation was removed',
      'GET /users/{id}: the 200 response was removed',
      'POST /users: it now needs the scope users:admin',
    ]);
  });

  it('calls a request that is now refused breaking, and a request that is now also accepted not', () => {
    const base = committed('payment-service');
    const head = committed('payment-service');
    const body = head['paths']['/payments'].post.requestBody.content['application/json'].schema;
    body.properties.reference.maxLength = 64;
    body.properties.note = { type: 'string' };
    body.required.push('note');
    body.properties.currency.enum = body.properties.currency.enum.filter((c: string) => c !== 'ZAR');
    head['paths']['/payments'].get.parameters.push({
      name: 'status',
      in: 'query',
      required: false,
      schema: { type: 'string' },
    });
    expect(breaking(base, head).sort()).toEqual([
      'POST /payments: request body.currency: no longer accepts ZAR',
      'POST /payments: request body.note: new and required',
      'POST /payments: request body.reference: maxLength 255 → 64',
    ]);
    expect(
      diffApis(base, head)
        .filter((c) => !c.breaking)
        .map((c) => c.message),
    ).toContain('a new optional query parameter status');
  });

  it('calls a response that may now carry what clients never saw breaking', () => {
    const base = committed('payment-service');
    const head = committed('payment-service');
    for (const payment of [
      head['components']['schemas']['Payment'],
      head['paths']['/payments'].post.responses['201'].content['application/json'].schema,
    ]) {
      payment.properties.status.anyOf.push({ const: 'DISPUTED', type: 'string' });
      payment.required = payment.required.filter((name: string) => name !== 'failureCode');
      delete payment.properties.updatedAt;
    }
    const found = breaking(base, head);
    expect(found).toEqual(
      expect.arrayContaining([
        'POST /payments: 201 response.status: may now be DISPUTED',
        'POST /payments: 201 response.failureCode: may now be missing',
        'POST /payments: 201 response.updatedAt: removed',
        'GET /payments: 200 response.items[].status: may now be DISPUTED',
      ]),
    );
  });

  it('writes a Markdown section per service, breaking changes marked', () => {
    const head = committed('user-service');
    delete head['paths']['/users/me'];
    const text = formatApiChanges('user-service', diffApis(committed('user-service'), head));
    expect(text).toBe(
      '### user-service\n\n1 breaking change, 0 others.\n\n- **breaking**: `GET /users/me` the operation was removed\n',
    );
    expect(formatApiChanges('user-service', [])).toBe('### user-service\n\nNo change to the API.\n');
  });
});
