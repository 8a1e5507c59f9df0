import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { serviceAccountName } from '@platform/auth';
import { LocalIssuer } from '@platform/auth/issuer';
import { serviceEntry, system } from '@platform/system';

/** The local issuer's URL: under the edge, at `/auth` (a local route only; never in production). */
export const localIssuerUrl = (edgePort: number): string => `http://127.0.0.1:${edgePort}/auth`;

/** The issuer of the local stack and of `npm run token`, its keys under `<dataRoot>/auth`. */
export const localIssuer = (edgePort: number, dataRoot = '.data'): Promise<LocalIssuer> =>
  LocalIssuer.persistent(localIssuerUrl(edgePort), join(dataRoot, 'auth'));

/** How long a local workload token lives, and how often it is renewed (as the kubelet does, well before expiry). */
const LIFETIME_SECONDS = 3600;
const RENEW_EVERY_MS = 10 * 60_000;

/**
 * What the kubelet does in the cluster, locally: a token per service it calls, for that audience,
 * in the service account's name (`system:serviceaccount:<service>:<service>`, as its ArgoCD
 * Application deploys it), written to a file and renewed long before it expires.
 */
export class WorkloadTokens {
  #timer?: NodeJS.Timeout;

  constructor(
    private readonly issuer: LocalIssuer,
    private readonly directory: string,
  ) {}

  /** The file of `service`'s token for `audience`. */
  file(service: string, audience: string): string {
    return join(this.directory, service, audience);
  }

  /**
   * The settings that point `service` at its token files (`USER_SERVICE_TOKEN_FILE`…), as its
   * chart points it at the projected tokens in the cluster.
   */
  environment(service: string): Record<string, string> {
    return Object.fromEntries(
      serviceEntry(service).calls.map((audience) => [
        `${audience.replace(/-/g, '_').toUpperCase()}_TOKEN_FILE`,
        this.file(service, audience),
      ]),
    );
  }

  /** Writes every token now, then renews them in the background until `stop`. */
  async start(): Promise<void> {
    await this.#writeAll();
    this.#timer = setInterval(() => void this.#writeAll().catch(() => undefined), RENEW_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #writeAll(): Promise<void> {
    for (const { name: service, calls } of system.services) {
      for (const audience of calls) {
        const token = await this.issuer.sign({
          sub: serviceAccountName(service, service),
          aud: audience,
          expiresInSeconds: LIFETIME_SECONDS,
        });
        const file = this.file(service, audience);
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        // Replaced whole, never seen half-written.
        writeFileSync(`${file}.tmp`, token, { mode: 0o600 });
        renameSync(`${file}.tmp`, file);
      }
    }
  }
}
