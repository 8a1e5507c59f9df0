import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Access, Authenticator, authorize, PERSON_SCOPES, PLATFORM_AUDIENCE, SCOPES } from '@platform/auth';
import { LocalIssuer } from '@platform/auth/issuer';

/** What checking a bearer token costs a service, per request, measured on this Node.js. */
export interface AuthCost {
  /** A token seen before (every request of a client but its first): the verified-token cache, then the scope check. */
  readonly cachedMicroseconds: number;
  /** A token seen for the first time: the RS256 signature, the claims, the scope check. */
  readonly firstUseMicroseconds: number;
}

const READ_ACCESS: Access = { people: [SCOPES.usersRead], workloads: true };

/**
 * The platform's own authenticator against a real issuer on loopback (discovery and JWKS over
 * HTTP, RS256 keys): the mean time of `authenticate` and `authorize` for one request, warmed up,
 * over many requests. This is all the work a request does for its token; the request's other
 * CPU is measured under load, and the two give the share (see the report).
 */
export async function authCost(): Promise<AuthCost> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = await LocalIssuer.create(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  server.on('request', (req, res) => issuer.handle(req, res, (req.url ?? '/').split('?', 1)[0] ?? '/'));
  try {
    const sign = (subject: string) =>
      issuer.sign({ sub: subject, aud: PLATFORM_AUDIENCE, scope: PERSON_SCOPES.join(' ') });
    const auth = new Authenticator(
      { people: { issuer: issuer.issuer, audience: PLATFORM_AUDIENCE } },
      { cacheSize: 10_000 },
    );
    const check = async (header: string) => authorize(await auth.authenticate(header), READ_ACCESS);

    const fresh = await Promise.all(Array.from({ length: 2_400 }, (_, i) => sign(`bench-${i}`)));
    // The keys fetched and the code warm: the first few hundred uses are not measured.
    for (const token of fresh.slice(0, 400)) await check(`Bearer ${token}`);
    let started = performance.now();
    for (const token of fresh.slice(400)) await check(`Bearer ${token}`);
    const firstUseMicroseconds = ((performance.now() - started) * 1000) / (fresh.length - 400);

    const header = `Bearer ${fresh[0] as string}`;
    for (let i = 0; i < 50_000; i++) await check(header);
    const runs = 500_000;
    started = performance.now();
    for (let i = 0; i < runs; i++) await check(header);
    const cachedMicroseconds = ((performance.now() - started) * 1000) / runs;
    return {
      cachedMicroseconds: Math.round(cachedMicroseconds * 1000) / 1000,
      firstUseMicroseconds: Math.round(firstUseMicroseconds * 10) / 10,
    };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
