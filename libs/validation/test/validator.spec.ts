import { isProblemError, type ProblemError } from '@platform/errors';
import { validator } from '../src/index';
import { Type } from 'typebox';

const CreateUser = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    age: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

const errorOf = (work: () => unknown): ProblemError => {
  try {
    work();
  } catch (error) {
    if (isProblemError(error)) return error;
    throw error;
  }
  throw new Error('expected a validation problem');
};

describe('validator', () => {
  const validate = validator(CreateUser);

  it('returns a valid value, typed', () => {
    const user = validate({ email: 'a@b.co', name: 'Ada' });
    expect(user.name).toBe('Ada');
  });

  it('reports every bad field, unknown fields included, and coerces nothing in a body', () => {
    const problem = errorOf(() => validate({ email: 'nope', name: '', age: '3', admin: true }));
    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { in: 'body', field: 'email', message: 'must be a valid email' },
        { in: 'body', field: 'name', message: expect.stringContaining('fewer than 1') },
        { in: 'body', field: 'age', message: 'must be integer' },
        { in: 'body', field: 'admin', message: 'is not allowed' },
      ]),
    );
  });

  it('rejects a body that is not an object', () => {
    for (const body of [undefined, null, [], 'x', 3]) {
      expect(errorOf(() => validate(body)).errors?.[0]).toMatchObject({ in: 'body', field: '' });
    }
  });

  it('coerces query parameters, which arrive as strings', () => {
    const query = validator(Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) }), 'query');
    expect(query({ limit: '5' })).toEqual({ limit: 5 });
    expect(query({})).toEqual({ limit: 20 });
    expect(errorOf(() => query({ limit: '500' })).errors).toEqual([
      { in: 'query', field: 'limit', message: 'must be <= 100' },
    ]);
    expect(errorOf(() => query({ limit: 'ten' })).errors?.[0]).toMatchObject({ in: 'query', field: 'limit' });
  });
});
