import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, TestIssuer } from '@platform/auth/testing';
import { WorkloadTokens } from '@platform/local-stack';

/**
 * Identity for services started as processes: a real issuer they trust, order-service's own
 * tokens for the services it calls (files, as the kubelet writes them), and people's tokens.
 */
export class TestIdentity {
  private constructor(
    readonly issuer: TestIssuer,
    private readonly tokens: WorkloadTokens,
    private readonly directory: string,
  ) {}

  /** The token files go in a directory of their own, removed on `close`. */
  static async start(): Promise<TestIdentity> {
    const issuer = await TestIssuer.start();
    const directory = mkdtempSync(join(tmpdir(), 'identity-'));
    const tokens = new WorkloadTokens(issuer.local, directory);
    await tokens.start();
    return new TestIdentity(issuer, tokens, directory);
  }

  /** What a service process needs to trust the issuer and, for order-service, to call as itself. */
  env(service: string): Record<string, string> {
    return { ...this.issuer.environment(), ...this.tokens.environment(service) };
  }

  /** `Authorization` of a new person with the default scopes. */
  async person(subject: string): Promise<Record<string, string>> {
    return bearer(await this.issuer.person(subject));
  }

  async admin(): Promise<Record<string, string>> {
    return bearer(await this.issuer.admin());
  }

  /** order-service's own `Authorization` for `audience`. */
  async workload(audience: string): Promise<Record<string, string>> {
    return bearer(await this.issuer.workload(audience));
  }

  async close(): Promise<void> {
    this.tokens.stop();
    await this.issuer.close();
    rmSync(this.directory, { recursive: true, force: true });
  }
}
