import { ConfigError, env, loadConfig, platformSettings } from '../src/index';

describe('loadConfig', () => {
  it('applies defaults and parses typed values', () => {
    const config = loadConfig(
      {
        ...platformSettings('user-service'),
        upstream: env.url('UPSTREAM_URL', {
          protocols: ['http:', 'https:'],
          default: new URL('http://localhost:3003'),
        }),
        verbose: env.boolean('VERBOSE', { default: false }),
      },
      { PORT: '8080', UPSTREAM_URL: 'https://pay.internal', VERBOSE: 'true' },
    );
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', logLevel: 'info', logFormat: 'json', verbose: true });
    expect(config.upstream.href).toBe('https://pay.internal/');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every bad variable in one line', () => {
    const spec = {
      ...platformSettings('user-service'),
      upstream: env.url('UPSTREAM_URL', { protocols: ['http:'] }),
    };
    let error: unknown;
    try {
      loadConfig(spec, { PORT: 'eighty', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('PORT must be an integer from 0 to 65535 (got "eighty")');
    expect(message).toContain('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")');
    expect(message).toContain('UPSTREAM_URL is required');
  });

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
