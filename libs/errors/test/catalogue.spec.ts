import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ProblemDefinition, problems, ProblemError, renderProblem, validationProblem } from '../src/index';

describe('the problem catalogue', () => {
  const definitions = Object.values(problems);

  it('has unique codes, client or server error statuses and titles', () => {
    expect(new Set(definitions.map((d) => d.code)).size).toBe(definitions.length);
    for (const d of definitions) {
      expect(d.code).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(d.status).toBeGreaterThanOrEqual(400);
      expect(d.status).toBeLessThan(600);
      expect(d.title.length).toBeGreaterThan(3);
    }
  });

  it('is documented entry by entry in docs/errors.md', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/errors.md'), 'utf8');
    // Table rows `| code | status | title | when |`, however the formatter pads the cells.
    const rows = [...doc.matchAll(/^\|(.*)\|$/gm)]
      .map((m) => (m[1] ?? '').split('|').map((cell) => cell.trim()))
      .filter(([code]) => /^`[a-z-]+`$/.test(code ?? ''));
    const documented = rows.map(([code, status, title]) => ({
      code: code?.slice(1, -1),
      status: Number(status),
      title,
    }));
    expect(documented.sort((a, b) => String(a.code).localeCompare(String(b.code)))).toEqual(
      definitions
        .map(({ code, status, title }) => ({ code, status, title }))
        .sort((a, b) => a.code.localeCompare(b.code)),
    );
  });
});

describe('renderProblem', () => {
  it('renders a ProblemError with its extensions, field errors and headers', () => {
    const error = new ProblemError(problems.paymentDeclined, 'The card was declined.', {
      extensions: { paymentId: 'p1' },
      headers: { 'retry-after': '1' },
    });
    const rendered = renderProblem(error, '/payments', 'req-1');
    expect(rendered.status).toBe(402);
    expect(rendered.unexpected).toBe(false);
    expect(rendered.headers).toMatchObject({
      'content-type': 'application/problem+json; charset=utf-8',
      'retry-after': '1',
    });
    expect(rendered.body).toEqual({
      type: 'urn:problem-type:payment-declined',
      title: 'Payment declined',
      status: 402,
      detail: 'The card was declined.',
      instance: '/payments',
      requestId: 'req-1',
      paymentId: 'p1',
    });
  });

  it('tells when to retry a condition that passes by itself, from the catalogue: the domain sends no header', () => {
    const retryable = (Object.values(problems) as ProblemDefinition[]).filter((p) => p.retryAfterSeconds !== undefined);
    expect(retryable.map((p) => p.code).sort()).toEqual([
      'dependency-unavailable',
      'idempotency-key-in-progress',
      'payment-in-progress',
      'payment-outcome-unknown',
    ]);
    expect(renderProblem(new ProblemError(problems.paymentInProgress)).headers['retry-after']).toBe('2');
    expect(renderProblem(new ProblemError(problems.idempotencyInProgress)).headers['retry-after']).toBe('1');
    // A problem that knows better (the database's own estimate) keeps its header.
    const own = new ProblemError(problems.dependencyUnavailable, 'x', { headers: { 'retry-after': '7' } });
    expect(renderProblem(own).headers['retry-after']).toBe('7');
    expect(renderProblem(new ProblemError(problems.notFound)).headers['retry-after']).toBeUndefined();
  });

  it('lets no extension overwrite the standard members', () => {
    const error = new ProblemError(problems.notFound, 'gone', { extensions: { status: 200, type: 'x' } });
    expect(renderProblem(error).body).toMatchObject({ status: 404, type: 'urn:problem-type:not-found' });
  });

  it('turns anything else into a generic 500 that reveals nothing', () => {
    for (const thrown of [
      new Error('password=hunter2 at db.ts:12'),
      'a string',
      { statusCode: 400, message: 'internal' },
      null,
    ]) {
      const rendered = renderProblem(thrown);
      expect(rendered.status).toBe(500);
      expect(rendered.unexpected).toBe(true);
      expect(JSON.stringify(rendered.body)).not.toMatch(/hunter2|db\.ts|internal"/);
    }
  });
});

describe('validationProblem', () => {
  it('names each bad field once, with where it was', () => {
    const problem = validationProblem('body', [
      {
        instancePath: '',
        keyword: 'required',
        params: { missingProperty: 'name' },
        message: "must have required property 'name'",
      },
      { instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'totalCents' } },
      {
        instancePath: '/items/0/sku',
        keyword: 'pattern',
        params: { pattern: '^x$' },
        message: 'must match pattern "^x$"',
      },
      { instancePath: '/email', keyword: 'format', params: { format: 'email' } },
      { instancePath: '/email', keyword: 'format', params: { format: 'email' } },
    ]);
    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual([
      { in: 'body', field: 'name', message: 'is required' },
      { in: 'body', field: 'totalCents', message: 'is not allowed' },
      { in: 'body', field: 'items.0.sku', message: 'must match pattern "^x$"' },
      { in: 'body', field: 'email', message: 'must be a valid email' },
    ]);
    expect(problem.detail).toBe('Invalid request body: name, totalCents, items.0.sku, email.');
  });
});
