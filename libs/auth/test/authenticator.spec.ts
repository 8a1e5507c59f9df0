import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { isProblemError, type ProblemError } from '@platform/errors';
import { base64url, SignJWT } from 'jose';
import { Authenticator, authorize, type Principal, SCOPES } from '../src';
import { ORDER_SERVICE_ACCOUNT, TestIssuer } from '../src/testing';

/** The problem a call failed with (it must fail with one). */
async function problemOf(work: Promise<unknown>): Promise<ProblemError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isProblemError(error)) throw new Error(`expected a problem, got ${String(error)}`);
  return error;
}

const challengeOf = (problem: ProblemError) => problem.headers?.['www-authenticate'];
const INVALID = 'Bearer realm="platform", error="invalid_token"';
const now = () => Math.floor(Date.now() / 1000);

describe('Authenticator', () => {
  let issuer: TestIssuer;
  let other: TestIssuer;
  let auth: Authenticator;
  const bearer = (token: string) => `Bearer ${token}`;
  beforeEach(async () => {
    issuer = await TestIssuer.start();
    other = await TestIssuer.start();
    auth = new Authenticator(issuer.trust('payment-service'), { refreshCooldownMs: 60_000 });
  });
  afterEach(async () => {
    await issuer.close();
    await other.close();
  });

  it("authenticates a person's token: issuer, subject and scopes", async () => {
    const principal = await auth.authenticate(bearer(await issuer.person('ada', { extraScopes: [SCOPES.admin] })));
    expect(principal).toEqual({
      kind: 'person',
      issuer: issuer.url,
      subject: 'ada',
      scopes: new Set(['users:read', 'users:write', 'orders:read', 'orders:write', 'platform:admin']),
    });
  });

  it('authenticates a workload by its service account, allowed or not', async () => {
    expect(await auth.authenticate(bearer(await issuer.workload('payment-service')))).toEqual({
      kind: 'workload',
      serviceAccount: ORDER_SERVICE_ACCOUNT,
      allowed: true,
    });
    const stranger = await auth.authenticate(
      bearer(await issuer.workload('payment-service', 'system:serviceaccount:default:default')),
    );
    expect(stranger).toMatchObject({ kind: 'workload', allowed: false });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic YWRhOnNlY3JldA=='],
    ['a bearer without a token', 'Bearer '],
    ['a token with spaces', 'Bearer a b c'],
  ])('answers %s with 401 and a bare challenge', async (_case, header) => {
    const problem = await problemOf(auth.authenticate(header));
    expect(problem.status).toBe(401);
    expect(problem.definition.code).toBe('authentication-required');
    expect(challengeOf(problem)).toBe('Bearer realm="platform"');
  });

  const forged: [string, () => Promise<string>][] = [
    ['not a JWT', async () => 'not-a-jwt'],
    ['an expired token', () => issuer.person('ada', { extra: { exp: now() - 61 } })],
    ['a token not valid yet', () => issuer.person('ada', { extra: { nbf: now() + 61 } })],
    ['a token of another issuer', () => other.person('ada')],
    ['a token claiming this issuer, signed by another', () => other.person('ada', { extra: { iss: issuer.url } })],
    ['a token for another audience', () => issuer.person('ada', { aud: 'another-api' })],
    ['a workload token for another service', () => issuer.workload('user-service')],
    ['a token without exp', () => issuer.person('ada', { extra: { exp: undefined } })],
    ['a token with a numeric subject', () => issuer.person('ada', { extra: { sub: 42 } })],
    ['a token with a scope list where a string belongs', () => issuer.person('ada', { extra: { scope: ['a'] } })],
    ['a huge token', () => issuer.person('ada', { extra: { padding: 'x'.repeat(10_000) } })],
    [
      'an unsigned token (alg: none)',
      async () => {
        const [, payload] = (await issuer.person('ada')).split('.');
        return `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`;
      },
    ],
    [
      'a token "signed" with the public key as an HMAC secret',
      async () => {
        const [jwk] = issuer.local.jwks().keys;
        const pem = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
        return new SignJWT({ sub: 'ada', aud: 'platform-api', scope: 'platform:admin' })
          .setProtectedHeader({ alg: 'HS256', kid: issuer.local.currentKid })
          .setIssuer(issuer.url)
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(String(pem)));
      },
    ],
    [
      'a token whose payload was changed after signing',
      async () => {
        const [header, , signature] = (await issuer.person('ada')).split('.');
        const payload = base64url.encode(
          JSON.stringify({
            iss: issuer.url,
            sub: 'ada',
            aud: 'platform-api',
            exp: now() + 600,
            scope: 'platform:admin',
          }),
        );
        return `${header}.${payload}.${signature}`;
      },
    ],
    [
      'a token with a kid the issuer never published',
      async () => {
        const token = await other.person('ada', { extra: { iss: issuer.url } });
        return token;
      },
    ],
  ];

  it.each(forged)('refuses %s with 401 invalid_token, saying nothing more', async (_case, make) => {
    const problem = await problemOf(auth.authenticate(bearer(await make())));
    expect(problem.status).toBe(401);
    expect(problem.definition.code).toBe('invalid-token');
    expect(challengeOf(problem)).toBe(INVALID);
    expect(problem.detail).toBe('The bearer token is not valid.');
  });

  it('ignores the claims it does not use, however deeply nested', async () => {
    const token = await issuer.person('ada', { extra: { deep: nested(200) } });
    await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({ subject: 'ada' });
  });

  it('accepts exp and nbf within 60 s of clock skew', async () => {
    const late = await issuer.person('ada', { extra: { exp: now() - 30 } });
    const early = await issuer.person('ada', { extra: { nbf: now() + 30 } });
    await expect(auth.authenticate(bearer(late))).resolves.toMatchObject({ subject: 'ada' });
    await expect(auth.authenticate(bearer(early))).resolves.toMatchObject({ subject: 'ada' });
  });

  it('picks up a rotated key with one fetch once the cooldown has passed, still accepting the old key', async () => {
    const clock = { now: Date.now() };
    auth = new Authenticator(issuer.trust('payment-service'), { refreshCooldownMs: 10_000, now: () => clock.now });
    const before = await issuer.person('ada');
    await auth.authenticate(bearer(before));
    const fetchesBefore = issuer.fetches;
    await issuer.local.rotate();
    clock.now += 10_001;
    const after = await issuer.person('grace');
    await expect(auth.authenticate(bearer(after))).resolves.toMatchObject({ subject: 'grace' });
    // The JWKS only: the discovery document is read once.
    expect(issuer.fetches - fetchesBefore).toBe(1);
    await expect(auth.authenticate(bearer(before))).resolves.toMatchObject({ subject: 'ada' });
    await expect(auth.authenticate(bearer(await issuer.person('lin')))).resolves.toBeDefined();
    expect(issuer.fetches - fetchesBefore).toBe(1);
  });

  it('fetches the keys at most once per cooldown, whatever kids a flood of tokens makes up', async () => {
    await auth.authenticate(bearer(await issuer.person('ada')));
    const fetchesBefore = issuer.fetches;
    const tokens = await Promise.all(
      Array.from({ length: 20 }, () => other.person('mallory', { extra: { iss: issuer.url } })),
    );
    const problems = await Promise.all(tokens.map((token) => problemOf(auth.authenticate(bearer(token)))));
    expect(problems.every((p) => p.status === 401)).toBe(true);
    expect(issuer.fetches - fetchesBefore).toBeLessThanOrEqual(1);
  });

  it('answers 503 with Retry-After, not 401, when the issuer is down and no key is cached', async () => {
    const token = await issuer.person('ada');
    issuer.available = false;
    const problem = await problemOf(auth.authenticate(bearer(token)));
    expect(problem.status).toBe(503);
    expect(Number(problem.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(problem.definition.code).toBe('dependency-unavailable');
  });

  it('goes on accepting tokens of cached keys while the issuer is down, and 503s one of a key it cannot fetch', async () => {
    const clock = { now: Date.now() };
    auth = new Authenticator(issuer.trust('payment-service'), {
      refreshCooldownMs: 10_000,
      maxAgeMs: 60_000,
      now: () => clock.now,
    });
    await auth.authenticate(bearer(await issuer.person('ada')));
    issuer.available = false;
    // Long past the keys' age: the background fetch fails, the cached key still serves.
    clock.now += 120_000;
    await expect(auth.authenticate(bearer(await issuer.person('grace')))).resolves.toMatchObject({ subject: 'grace' });
    await issuer.local.rotate();
    clock.now += 10_001;
    const problem = await problemOf(auth.authenticate(bearer(await issuer.person('new-key'))));
    expect(problem.status).toBe(503);
  });

  it('recovers when the issuer comes back after the cooldown', async () => {
    const clock = { now: Date.now() };
    auth = new Authenticator(issuer.trust('payment-service'), { refreshCooldownMs: 5_000, now: () => clock.now });
    issuer.available = false;
    const token = await issuer.person('ada');
    expect((await problemOf(auth.authenticate(bearer(token)))).status).toBe(503);
    issuer.available = true;
    expect((await problemOf(auth.authenticate(bearer(token)))).status).toBe(503);
    clock.now += 5_001;
    await expect(auth.authenticate(bearer(token))).resolves.toMatchObject({ subject: 'ada' });
  });

  it('verifies a token once and remembers it until it expires', async () => {
    const clock = { now: Date.now() };
    auth = new Authenticator(issuer.trust('payment-service'), { now: () => clock.now });
    const token = await issuer.person('ada', { expiresInSeconds: 120 });
    const first = await auth.authenticate(bearer(token));
    expect(await auth.authenticate(bearer(token))).toBe(first);
    clock.now += (120 + 61) * 1000;
    expect((await problemOf(auth.authenticate(bearer(token)))).status).toBe(401);
  });

  it('refuses a discovery document that names another issuer', async () => {
    const impostor = new Authenticator({ people: { issuer: `${issuer.url}/`, audience: 'platform-api' } });
    const token = await issuer.person('ada', { extra: { iss: `${issuer.url}/` } });
    expect((await problemOf(impostor.authenticate(bearer(token)))).status).toBe(503);
  });
});

describe('authorize', () => {
  const person = (...scopes: string[]): Principal => ({
    kind: 'person',
    issuer: 'i',
    subject: 's',
    scopes: new Set(scopes),
  });
  const workload = (allowed: boolean): Principal => ({ kind: 'workload', serviceAccount: 'sa', allowed });

  it('lets a person with every needed scope through, and names the scopes otherwise (403)', () => {
    expect(() => authorize(person('users:read'), { people: ['users:read'] })).not.toThrow();
    let problem: ProblemError | undefined;
    try {
      authorize(person('users:read'), { people: ['users:write'] });
    } catch (e) {
      problem = e as ProblemError;
    }
    expect(problem?.status).toBe(403);
    expect(challengeOf(problem as ProblemError)).toBe(
      'Bearer realm="platform", error="insufficient_scope", scope="users:write"',
    );
  });

  it('refuses people where only workloads may call, and workloads not allowed or not wanted', () => {
    expect(() => authorize(person('platform:admin'), { workloads: true })).toThrow(/does not grant/);
    expect(() => authorize(workload(true), { workloads: true })).not.toThrow();
    expect(() => authorize(workload(false), { workloads: true })).toThrow(/does not grant/);
    expect(() => authorize(workload(true), { people: ['users:read'] })).toThrow(/does not grant/);
  });
});

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}
