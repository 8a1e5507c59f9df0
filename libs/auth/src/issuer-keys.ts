import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/** The issuer's keys could not be fetched, and none cached fits the token. */
export class IssuerUnavailableError extends Error {
  override readonly name = 'IssuerUnavailableError';
  constructor(
    readonly issuer: string,
    /** When a fetch may next be tried. */
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(`The keys of ${issuer} cannot be fetched`, options);
  }
}

export interface IssuerKeysOptions {
  /**
   * The least time between two fetches of the keys: a flood of tokens with made-up `kid`s costs
   * the issuer one request per period. 10 s by default.
   */
  readonly refreshCooldownMs?: number;
  /** Keys older than this are fetched again in the background (and kept if that fails). 10 min by default. */
  readonly maxAgeMs?: number;
  /** Per request to the issuer. 3 s by default. */
  readonly timeoutMs?: number;
  /** Told of every failed fetch (the keys in use are kept). */
  readonly onFetchFailed?: (issuer: string, error: unknown) => void;
  readonly now?: () => number;
}

const MAX_DOCUMENT_BYTES = 256 * 1024;

/**
 * GET a JSON document with node:http(s), not `fetch`: pods may run `--jitless` (the chart's
 * nodeJitless), where `fetch`'s HTTP parser (WebAssembly) does not exist, and loading it cost each
 * service 12-15 MiB anyway (docs/benchmarks). The body is refused past MAX_DOCUMENT_BYTES while it
 * streams, so a hostile issuer cannot fill the heap.
 */
function fetchJson(url: URL, timeoutMs: number): Promise<unknown> {
  const get = url.protocol === 'https:' ? httpsGet : httpGet;
  return new Promise<unknown>((resolve, reject) => {
    const request = get(url, { headers: { accept: 'application/json' } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`${url.href} answered ${response.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_DOCUMENT_BYTES) {
          request.destroy(new Error(`${url.href} sent more than ${MAX_DOCUMENT_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
        } catch (error) {
          reject(new Error(`${url.href} sent no JSON`, { cause: error }));
        }
      });
      response.on('error', reject);
    });
    // The whole exchange, not each read: a trickle of bytes cannot hold it open.
    const deadline = setTimeout(
      () => request.destroy(new Error(`${url.href} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    request.on('close', () => clearTimeout(deadline));
    request.on('error', reject);
  });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The signing keys of one OpenID Connect issuer, found through its discovery document
 * (`<issuer>/.well-known/openid-configuration`, whose `issuer` must be the configured one) and
 * its `jwks_uri`, and cached. A token whose `kid` is not among them triggers one fetch (at most
 * one per cooldown), so a rotated key is picked up without a restart; the keys are also renewed
 * in the background when old. When the issuer cannot be reached, the cached keys go on serving;
 * only a token none of them fits fails, with `IssuerUnavailableError`.
 */
export class IssuerKeys {
  readonly #issuer: string;
  readonly #cooldownMs: number;
  readonly #maxAgeMs: number;
  readonly #timeoutMs: number;
  readonly #onFetchFailed: NonNullable<IssuerKeysOptions['onFetchFailed']>;
  readonly #now: () => number;
  #jwksUri?: URL;
  #keys?: JWTVerifyGetKey;
  #fetchedAt = -Infinity;
  #attemptedAt = -Infinity;
  #lastFetchFailed = false;
  #inFlight?: Promise<void>;

  constructor(issuer: string, options: IssuerKeysOptions = {}) {
    this.#issuer = issuer;
    this.#cooldownMs = options.refreshCooldownMs ?? 10_000;
    this.#maxAgeMs = options.maxAgeMs ?? 600_000;
    this.#timeoutMs = options.timeoutMs ?? 3_000;
    this.#onFetchFailed = options.onFetchFailed ?? (() => undefined);
    this.#now = options.now ?? Date.now;
  }

  get issuer(): string {
    return this.#issuer;
  }

  /** The key for a token's protected header, as `jwtVerify` asks for it. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (this.#keys === undefined) await this.#refresh();
    else if (this.#now() - this.#fetchedAt > this.#maxAgeMs) this.#refresh().catch(() => undefined);
    const keys = this.#keys as JWTVerifyGetKey;
    try {
      return await keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // Unknown kid: perhaps a rotation. Fetch once (unless one was tried lately); if the issuer
      // is down, the token may well be valid: unavailable, not invalid.
      if (this.#coolingDown()) {
        if (this.#lastFetchFailed) throw this.#unavailable(error);
        throw error;
      }
      await this.#refresh();
      return (this.#keys as JWTVerifyGetKey)(header, token);
    }
  };

  #coolingDown(): boolean {
    return this.#now() - this.#attemptedAt < this.#cooldownMs;
  }

  #unavailable(cause?: unknown): IssuerUnavailableError {
    return new IssuerUnavailableError(this.#issuer, this.#cooldownMs - (this.#now() - this.#attemptedAt), { cause });
  }

  /** One fetch at a time, and none within the cooldown of the last. */
  #refresh(): Promise<void> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    if (this.#coolingDown()) {
      return this.#keys === undefined || this.#lastFetchFailed
        ? Promise.reject(this.#unavailable())
        : Promise.resolve();
    }
    this.#attemptedAt = this.#now();
    this.#inFlight = this.#fetchKeys()
      .then(
        (jwks) => {
          this.#keys = createLocalJWKSet(jwks);
          this.#fetchedAt = this.#now();
          this.#lastFetchFailed = false;
        },
        (error: unknown) => {
          this.#lastFetchFailed = true;
          this.#onFetchFailed(this.#issuer, error);
          throw this.#unavailable(error);
        },
      )
      .finally(() => {
        this.#inFlight = undefined;
      });
    return this.#inFlight;
  }

  async #fetchKeys(): Promise<JSONWebKeySet> {
    if (this.#jwksUri === undefined) {
      const discovery = await fetchJson(
        new URL(`${this.#issuer.replace(/\/$/, '')}/.well-known/openid-configuration`),
        this.#timeoutMs,
      );
      if (!isObject(discovery) || discovery['issuer'] !== this.#issuer || typeof discovery['jwks_uri'] !== 'string') {
        throw new Error(`The discovery document of ${this.#issuer} does not name this issuer and a jwks_uri`);
      }
      this.#jwksUri = new URL(discovery['jwks_uri']);
    }
    const jwks = await fetchJson(this.#jwksUri, this.#timeoutMs);
    if (!isObject(jwks) || !Array.isArray(jwks['keys'])) {
      throw new Error(`${this.#jwksUri.href} is not a JSON Web Key Set`);
    }
    return jwks as unknown as JSONWebKeySet;
  }
}
