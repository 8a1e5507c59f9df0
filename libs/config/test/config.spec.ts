import { env, loadConfig } from '../src/index';

describe('loadConfig', () => {
  it('never echoes the value of a secret variable', () => {
    expect(() =>
      loadConfig(
        { db: env.url('DATABASE_URL', { protocols: ['postgres:'], secret: true }) },
        { DATABASE_URL: 'mysql://u:hunter2@h/db' },
      ),
    ).toThrow(/^Invalid configuration: DATABASE_URL must use postgres\.$/);
  });

  it('rejects out-of-range integers and malformed URLs', () => {
    expect(() => loadConfig({ t: env.integer('T', { min: 1, max: 10 }) }, { T: '11' })).toThrow(
      /T must be an integer from 1 to 10/,
    );
    expect(() => loadConfig({ t: env.integer('T', { min: 1, max: 10 }) }, { T: '1.5' })).toThrow(
      /T must be an integer/,
    );
    expect(() => loadConfig({ u: env.url('U', { protocols: ['http:'] }) }, { U: 'not a url' })).toThrow(
      /U must be an absolute URL/,
    );
  });
});
