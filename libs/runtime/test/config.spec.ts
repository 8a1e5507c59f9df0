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
});
