import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

/** What a minted token says (the registered claims the issuer fills in are optional here). */
export interface TokenClaims {
  readonly sub: string;
  readonly aud: string | readonly string[];
  /** Space-separated scopes (a person's access token). */
  readonly scope?: string;
  /** Lifetime in seconds from now; 1 hour by default. */
  readonly expiresInSeconds?: number;
  /** Any other claim, or a registered one overridden (`iss`, `exp`, `nbf`, `iat`). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

interface SigningKey {
  readonly privateJwk: JWK;
  readonly kid: string;
}

const ALGORITHM = 'RS256';

async function newKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(privateJwk);
  return { privateJwk: { ...privateJwk, kid, alg: ALGORITHM, use: 'sig' }, kid };
}

const publicPart = ({ kty, n, e, kid, alg, use }: JWK): JWK => ({ kty, n, e, kid, alg, use });

/**
 * An OpenID Connect issuer of its own keys, for local runs and tests: a discovery document and a
 * JWKS served over HTTP, and access tokens signed with RS256 (as EKS and most identity providers
 * sign them). Never a production issuer: it signs whatever it is asked to.
 */
export class LocalIssuer {
  #keys: SigningKey[];

  private constructor(
    readonly issuer: string,
    keys: SigningKey[],
    private readonly keyFile?: string,
  ) {
    this.#keys = keys;
  }

  /** An issuer with a fresh key in memory. */
  static async create(issuer: string): Promise<LocalIssuer> {
    return new LocalIssuer(issuer, [await newKey()]);
  }

  /**
   * The issuer whose keys live in `directory/keys.json` (made on first use, readable by the owner
   * only), so that every process of the local stack, and `npm run token`, signs with the same key.
   */
  static async persistent(issuer: string, directory: string): Promise<LocalIssuer> {
    const keyFile = join(directory, 'keys.json');
    const load = () => {
      const { keys } = JSON.parse(readFileSync(keyFile, 'utf8')) as { keys: JWK[] };
      return new LocalIssuer(
        issuer,
        keys.map((privateJwk) => ({ privateJwk, kid: String(privateJwk.kid) })),
        keyFile,
      );
    };
    if (existsSync(keyFile)) return load();
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const temporary = `${keyFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ keys: [(await newKey()).privateJwk] }), { mode: 0o600 });
    try {
      // Whoever links first made the key; a process racing it (the stack and `npm run token`) reads that one.
      linkSync(temporary, keyFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }
    return load();
  }

  /** The key new tokens are signed with. */
  get currentKid(): string {
    return (this.#keys[0] as SigningKey).kid;
  }

  /** Signs with a new key from now on; the old one stays published unless `retireOld`. */
  async rotate({ retireOld = false }: { retireOld?: boolean } = {}): Promise<void> {
    this.#keys = [await newKey(), ...(retireOld ? [] : this.#keys)];
    this.#save();
  }

  /** A signed access token. */
  async sign(claims: TokenClaims): Promise<string> {
    const key = this.#keys[0] as SigningKey;
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: this.issuer,
      sub: claims.sub,
      aud: claims.aud,
      iat: now,
      exp: now + (claims.expiresInSeconds ?? 3600),
      jti: randomUUID(),
      ...(claims.scope === undefined ? {} : { scope: claims.scope }),
      ...claims.extra,
    };
    return new SignJWT(payload as Record<string, unknown>)
      .setProtectedHeader({ alg: ALGORITHM, typ: 'at+jwt', kid: key.kid })
      .sign(await importJWK(key.privateJwk, ALGORITHM));
  }

  discoveryDocument(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.issuer}/jwks.json`,
      id_token_signing_alg_values_supported: [ALGORITHM],
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
    };
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.#keys.map((key) => publicPart(key.privateJwk)) };
  }

  /**
   * A request handler for a server of its own: the issuer under `base` (its URL's path), and 404
   * for every other path.
   */
  handler(base: string): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
      if (path !== base && !path.startsWith(`${base}/`)) {
        req.resume();
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      this.handle(req, res, path.slice(base.length) || '/');
    };
  }

  /**
   * Serves the discovery document and the JWKS for a request whose path is relative to the
   * issuer (`/.well-known/openid-configuration`, `/jwks.json`); anything else is a 404.
   */
  handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    req.resume();
    const send = (status: number, body: unknown) =>
      res
        .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify(body));
    if (req.method !== 'GET' && req.method !== 'HEAD') send(405, { error: 'method not allowed' });
    else if (path === '/.well-known/openid-configuration') send(200, this.discoveryDocument());
    else if (path === '/jwks.json') send(200, this.jwks());
    else send(404, { error: 'not found' });
  }

  #save(): void {
    if (this.keyFile === undefined) return;
    const temporary = `${this.keyFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ keys: this.#keys.map((key) => key.privateJwk) }), { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.keyFile);
  }
}
