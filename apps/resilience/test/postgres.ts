import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, toolPresent, WORKSPACE_ROOT } from '@platform/testing';
import pg from 'pg';

const SCRIPT = join(WORKSPACE_ROOT, 'tools/postgres/throwaway.sh');

/**
 * Whether this machine has PostgreSQL server binaries: the suites that need a real server skip,
 * saying so, when not, and fail by name under CI.
 */
export const HAS_POSTGRES = toolPresent(
  'PostgreSQL server binaries',
  (() => {
    try {
      execFileSync('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin/initdb'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })(),
  'the resilience suites start servers of their own',
  ".ci/run installs them first (tools/postgres/throwaway.sh install: Debian's postgresql package)",
);

/** A real PostgreSQL server of the suite's own, with one database per service, that the suite can stop and start. */
export class ThrowawayPostgres {
  private constructor(
    private readonly dir: string,
    private readonly port: number,
    private readonly adminUrl: string,
  ) {}

  static async start(services: readonly string[]): Promise<ThrowawayPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'resilience-pg-'));
    const port = await freePort();
    const adminUrl = execFileSync(SCRIPT, ['start', dir, String(port)], { encoding: 'utf8' }).trim();
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      for (const service of services) await admin.query(`CREATE DATABASE ${databaseName(service)}`);
    } finally {
      await admin.end();
    }
    return new ThrowawayPostgres(dir, port, adminUrl);
  }

  databaseUrl(service: string): string {
    return this.adminUrl.replace(/\/postgres$/, `/${databaseName(service)}`);
  }

  /** A small pool on the service's database, for the suite's own checks; it reconnects after the server restarts. */
  pool(service: string): pg.Pool {
    const pool = new pg.Pool({ connectionString: this.databaseUrl(service), max: 2 });
    pool.on('error', () => undefined); // an idle connection cut by a stop: the next query opens another
    return pool;
  }

  /** `fast` disconnects clients and checkpoints; `immediate` is a crash, recovered on the next start. */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    if (existsSync(join(this.dir, 'postmaster.pid'))) execFileSync(SCRIPT, ['stop', this.dir, mode]);
  }

  restart(): void {
    execFileSync(SCRIPT, ['start', this.dir, String(this.port)]);
  }

  close(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const databaseName = (service: string) => `${service.replace('-service', '')}_db`;
