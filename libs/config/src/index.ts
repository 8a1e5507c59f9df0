/**
 * Configuration is read from the environment once, at startup, into a typed object; nothing reads
 * `process.env` after that. A bad or missing value stops the start with one line naming every
 * variable at fault (values of secret variables are never echoed).
 */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}.`);
  }
}

export interface Setting<T> {
  readonly variable: string;
  readonly secret: boolean;
  /** Returns the value, or throws an Error whose message completes "VARIABLE …". */
  read(raw: string | undefined): T;
}

type Options<T> = { readonly default?: T; readonly secret?: boolean };

const describe = (raw: string, secret: boolean): string => (secret ? '' : ` (got ${JSON.stringify(raw.slice(0, 80))})`);

function setting<T>(
  variable: string,
  options: Options<T> & { readonly optional?: boolean },
  parse: (raw: string) => T,
): Setting<T> {
  return {
    variable,
    secret: options.secret ?? false,
    read(raw) {
      if (raw === undefined || raw.trim() === '') {
        if (options.default !== undefined) return options.default;
        if (options.optional) return undefined as T;
        throw new Error('is required');
      }
      return parse(raw.trim());
    },
  };
}

const integer = (raw: string, min: number, max: number, secret: boolean): number => {
  const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`must be an integer from ${min} to ${max}${describe(raw, secret)}`);
  }
  return value;
};

/** The typed readers for environment variables. */
function oneOf<T extends string>(raw: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(raw)) {
    throw new Error(`must be one of ${values.join(', ')}${describe(raw, false)}`);
  }
  return raw as T;
}

export const env = {
  string: (variable: string, options: Options<string> & { readonly pattern?: RegExp } = {}): Setting<string> =>
    setting(variable, options, (raw) => {
      if (options.pattern && !options.pattern.test(raw)) {
        throw new Error(`must match ${options.pattern}${describe(raw, options.secret ?? false)}`);
      }
      return raw;
    }),

  optionalString: (variable: string, options: { readonly secret?: boolean } = {}): Setting<string | undefined> =>
    setting<string | undefined>(variable, { ...options, optional: true }, (raw) => raw),

  integer: (
    variable: string,
    options: Options<number> & { readonly min: number; readonly max: number },
  ): Setting<number> =>
    setting(variable, options, (raw) => integer(raw, options.min, options.max, options.secret ?? false)),

  port: (variable: string, options: Options<number> = {}): Setting<number> =>
    setting(variable, options, (raw) => integer(raw, 0, 65535, false)),

  optionalPort: (variable: string): Setting<number | undefined> =>
    setting<number | undefined>(variable, { optional: true }, (raw) => integer(raw, 0, 65535, false)),

  /** A duration in milliseconds: a plain integer. */
  milliseconds: (variable: string, options: Options<number> & { readonly max?: number } = {}): Setting<number> =>
    setting(variable, options, (raw) => integer(raw, 0, options.max ?? 600_000, false)),

  /** A duration in milliseconds that may be left unset (the caller derives a default from other settings). */
  optionalMilliseconds: (variable: string, options: { readonly max?: number } = {}): Setting<number | undefined> =>
    setting<number | undefined>(variable, { optional: true }, (raw) => integer(raw, 0, options.max ?? 600_000, false)),

  oneOf: <const T extends string>(variable: string, values: readonly T[], options: Options<T> = {}): Setting<T> =>
    setting(variable, options, (raw) => oneOf(raw, values)),

  optionalOneOf: <const T extends string>(variable: string, values: readonly T[]): Setting<T | undefined> =>
    setting<T | undefined>(variable, { optional: true }, (raw) => oneOf(raw, values)),

  /** A comma-separated list, each item one of `values`. */
  listOf: <const T extends string>(
    variable: string,
    values: readonly T[],
    options: { readonly default: readonly T[] },
  ): Setting<readonly T[]> =>
    setting<readonly T[]>(variable, { default: Object.freeze([...options.default]) }, (raw) => {
      const items = raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      const bad = items.find((item) => !(values as readonly string[]).includes(item));
      if (bad !== undefined)
        throw new Error(`has ${JSON.stringify(bad.slice(0, 80))}; each item must be one of ${values.join(', ')}`);
      return Object.freeze(items as T[]);
    }),

  /** An absolute URL with one of the given protocols. */
  url: (
    variable: string,
    options: Options<URL> & { readonly protocols: readonly string[]; readonly optional?: boolean },
  ): Setting<URL> =>
    setting(variable, options, (raw) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new Error(`must be an absolute URL${describe(raw, options.secret ?? false)}`);
      }
      if (!options.protocols.includes(url.protocol)) {
        throw new Error(
          `must use ${options.protocols.map((p) => p.replace(/:$/, '')).join(' or ')}${describe(raw, options.secret ?? false)}`,
        );
      }
      return url;
    }),

  /**
   * An absolute URL kept as written (an OpenID Connect issuer is compared character for
   * character with the `iss` of tokens, so no normalization): https, or http on a loopback host.
   */
  issuerUrl: (variable: string, options: Options<string> = {}): Setting<string> =>
    setting(variable, options, (raw) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new Error(`must be an absolute URL${describe(raw, false)}`);
      }
      const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
      if (
        !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) ||
        url.search !== '' ||
        url.hash !== ''
      ) {
        throw new Error(
          `must be an https URL without query or fragment (http only on a loopback host)${describe(raw, false)}`,
        );
      }
      return raw;
    }),

  /** Items separated by commas (spaces around them ignored), each matching `pattern`; empty when unset. */
  list: (
    variable: string,
    options: { readonly default?: readonly string[]; readonly pattern: RegExp },
  ): Setting<readonly string[]> =>
    setting<readonly string[]>(variable, { default: Object.freeze([...(options.default ?? [])]) }, (raw) => {
      const items = raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      const bad = items.find((item) => !options.pattern.test(item));
      if (bad !== undefined)
        throw new Error(`has ${JSON.stringify(bad.slice(0, 80))}, which must match ${options.pattern}`);
      return Object.freeze(items);
    }),

  optionalUrl: (
    variable: string,
    options: { readonly protocols: readonly string[]; readonly secret?: boolean },
  ): Setting<URL | undefined> => env.url(variable, { ...options, optional: true }) as Setting<URL | undefined>,

  /** A number from 0 to 1 (a sampling ratio). */
  ratio: (variable: string, options: Options<number> = {}): Setting<number> =>
    setting(variable, options, (raw) => {
      const value = /^(?:0|1|0?\.\d+|1\.0*)$/.test(raw) ? Number(raw) : NaN;
      if (!(value >= 0 && value <= 1)) throw new Error(`must be a number from 0 to 1${describe(raw, false)}`);
      return value;
    }),

  /**
   * `key=value` pairs separated by commas, as the OpenTelemetry variables write them
   * (`OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=prod,k8s.pod.name=x`); values may be
   * percent-encoded. Empty when unset.
   */
  /** `key=value` pairs separated by commas, values percent-encoded (the OpenTelemetry format). */
  keyValues: (
    variable: string,
    options: { readonly secret?: boolean } = {},
  ): Setting<Readonly<Record<string, string>>> =>
    setting<Readonly<Record<string, string>>>(variable, { default: Object.freeze({}), ...options }, (raw) => {
      const pairs: Record<string, string> = {};
      for (const item of raw.split(',')) {
        const match = /^\s*([A-Za-z0-9._-]+)\s*=\s*(.*?)\s*$/.exec(item);
        let value: string | undefined;
        try {
          value = match?.[2] === undefined ? undefined : decodeURIComponent(match[2]);
        } catch {
          value = undefined;
        }
        if (match?.[1] === undefined || value === undefined) {
          throw new Error(`must be key=value pairs separated by commas${describe(raw, options.secret ?? false)}`);
        }
        pairs[match[1]] = value;
      }
      return Object.freeze(pairs);
    }),

  /**
   * true or false (or 1 or 0). `words: true` takes only the words, in any case, as the
   * OpenTelemetry SDK does: it would read a 1 as false.
   */
  boolean: (variable: string, options: Options<boolean> & { readonly words?: boolean } = {}): Setting<boolean> =>
    setting(variable, options, (raw) => {
      const value = options.words ? raw.toLowerCase() : raw;
      if (value === 'true' || (!options.words && value === '1')) return true;
      if (value === 'false' || (!options.words && value === '0')) return false;
      throw new Error(`must be true or false${describe(raw, false)}`);
    }),
};

export type ConfigSpec = Readonly<Record<string, Setting<unknown>>>;
export type ConfigOf<S extends ConfigSpec> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/** Reads every setting of `spec` from `source`, reporting all bad variables at once. */
export function loadConfig<S extends ConfigSpec>(spec: S, source: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, item] of Object.entries(spec)) {
    try {
      config[key] = item.read(source[item.variable]);
    } catch (error) {
      problems.push(`${item.variable} ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config) as ConfigOf<S>;
}
