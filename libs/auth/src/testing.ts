import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from '@platform/testing';
import type { AddressInfo } from 'node:net';
import type { AuthenticatorConfig } from './authenticator';
import { LocalIssuer, type TokenClaims } from './issuer';
import { PERSON_SCOPES, PLATFORM_AUDIENCE, SCOPES, serviceAccountName } from './scopes';

/** order-service's service account, as the cluster names it (its namespace and account are both `order-service`). */
export const ORDER_SERVICE_ACCOUNT = serviceAccountName('order-service', 'order-service');

/**
 * A real OpenID Connect issuer on a loopback port, for tests: discovery document and JWKS over
 * HTTP, real RS256 tokens. It can be taken down (connections are cut) and its key rotated, and
 * it counts the fetches it serves.
 */
export class TestIssuer {
  /** False: every connection is cut, as if the issuer were unreachable. */
  available = true;
  /** Discovery and JWKS requests served. */
  fetches = 0;

  private constructor(
    readonly local: LocalIssuer,
    private readonly server: Server,
  ) {}

  static async start(): Promise<TestIssuer> {
    const server = createServer();
    await listenOnLoopback(server);
    const { port } = server.address() as AddressInfo;
    const issuer = new TestIssuer(await LocalIssuer.create(`http://127.0.0.1:${port}`), server);
    server.on('request', (req, res) => {
      if (!issuer.available) {
        req.socket.destroy();
        return;
      }
      issuer.fetches += 1;
      issuer.local.handle(req, res, (req.url ?? '/').split('?', 1)[0] ?? '/');
    });
    return issuer;
  }

  get url(): string {
    return this.local.issuer;
  }

  /** What a service trusts to accept this issuer's people and, for `audience`, its workloads. */
  trust(audience: string, allowedServiceAccounts: readonly string[] = [ORDER_SERVICE_ACCOUNT]): AuthenticatorConfig {
    return {
      people: { issuer: this.url, audience: PLATFORM_AUDIENCE },
      workloads: { issuer: this.url, audience, allowedServiceAccounts },
    };
  }

  /** The environment variables of a service process that trusts this issuer. */
  environment(): Record<string, string> {
    return { OIDC_ISSUER_URL: this.url, WORKLOAD_ISSUER_URL: this.url };
  }

  /** A person's access token: the default scopes plus `extraScopes`, unless `scope` replaces them. */
  person(
    subject: string,
    options: { extraScopes?: readonly string[]; scope?: string } & Partial<TokenClaims> = {},
  ): Promise<string> {
    const { extraScopes = [], scope, ...claims } = options;
    return this.local.sign({
      sub: subject,
      aud: PLATFORM_AUDIENCE,
      scope: scope ?? [...PERSON_SCOPES, ...extraScopes].join(' '),
      ...claims,
    });
  }

  /** An administrator's access token. */
  admin(subject = 'admin'): Promise<string> {
    return this.person(subject, { extraScopes: [SCOPES.admin] });
  }

  /** A service-account token for `audience` (order-service's account by default). */
  workload(
    audience: string,
    serviceAccount = ORDER_SERVICE_ACCOUNT,
    extra: Partial<TokenClaims> = {},
  ): Promise<string> {
    return this.local.sign({ sub: serviceAccount, aud: audience, expiresInSeconds: 600, ...extra });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** `Authorization: Bearer <token>`. */
export const bearer = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` });
