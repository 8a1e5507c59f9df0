import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, TestIssuer } from '@platform/auth/testing';
import { createTestDatabase, itOnPostgres } from '@platform/persistence/testing';
import type { ServiceRuntime } from '@platform/runtime';
import { bundleForNode, freePort, startNode, testBundlePath, waitForHttp } from '@platform/testing';
import { start } from '../src/server';

const baseUrl = (runtime: ServiceRuntime) => `http://127.0.0.1:${runtime.address?.port}`;
const quiet = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' };

describe('user-service process', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });
  afterAll(() => issuer.close());

  it('keeps users across a restart on the embedded engine, trusting the issuer it is configured with', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'user-service-'));
    const auth = bearer(await issuer.person('kept'));
    try {
      const first = await start({ ...quiet, ...issuer.environment(), DATA_DIR: dataDir });
      const created = await fetch(`${baseUrl(first)}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ email: 'kept@example.com', name: 'Kept' }),
      });
      expect(created.status).toBe(201);
      const user = (await created.json()) as { id: string };
      expect(await first.shutdown()).toBe(0);

      const second = await start({ ...quiet, ...issuer.environment(), DATA_DIR: dataDir });
      const read = await fetch(`${baseUrl(second)}/users/${user.id}`, { headers: auth });
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual(user);
      expect(await second.shutdown()).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  itOnPostgres('lets two instances start on one PostgreSQL database at once', async () => {
    const db = await createTestDatabase('postgres');
    const instances: ServiceRuntime[] = [];
    try {
      const env = { ...quiet, DATABASE_URL: db.url };
      instances.push(...(await Promise.all([start(env), start(env)])));
      // Each migration ran once, whichever instance ran it.
      const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations');
      expect(rows[0]?.n).toBe(
        readdirSync(join(__dirname, '../src/migrations')).filter((f) => f.endsWith('.sql')).length,
      );
      for (const instance of instances) {
        expect((await fetch(`${baseUrl(instance)}/health/ready`)).status).toBe(200);
        expect(await instance.shutdown()).toBe(0);
      }
    } finally {
      // A failed expectation must not leave servers holding the test run open.
      await Promise.all(instances.map((instance) => instance.shutdown()));
      await db.close();
    }
  });
});

describe('user-service main', () => {
  let main: string;
  beforeAll(async () => {
    main = await bundleForNode(join(__dirname, '../src/main.ts'), testBundlePath('user-service/main.js'), {
      migrations: join(__dirname, '../src/migrations'),
    });
  });

  it('stops at once with one line naming a bad variable, and exit code 78', async () => {
    const child = startNode([main], {
      env: {
        PATH: process.env['PATH'],
        PORT: 'eighty',
        DATABASE_URL: 'mysql://u:secret@h/db',
        OIDC_ISSUER_URL: 'http://issuer.example.com',
      },
    });
    expect(await child.exited).toBe(78);
    expect(child.stderr.filter(Boolean)).toEqual([
      'Invalid configuration: PORT must be an integer from 0 to 65535 (got "eighty"); DATABASE_URL must use postgres or postgresql; OIDC_ISSUER_URL must be an https URL without query or fragment (http only on a loopback host) (got "http://issuer.example.com").',
    ]);
  });

  it('starts with the embedded database, answers ready, and exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'user-service-'));
    const port = await freePort();
    const child = startNode([main], {
      env: { PATH: process.env['PATH'], PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir },
    });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/ready`, { process: child, timeoutMs: 30_000 });
      expect(await child.stop('SIGTERM')).toBe(0);
      const messages = child.stdout.map((line) => JSON.parse(line).msg);
      expect(messages).toEqual(
        expect.arrayContaining([
          'database migrated',
          'user-service listening',
          'shutdown started',
          'shutdown complete',
        ]),
      );
    } finally {
      await child.stop('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
