import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RunningStack, startStack } from '@platform/local-stack';
import { STARTUP_HOOK_TIMEOUT_MS, WORKSPACE_ROOT } from '@platform/testing';

// The README's quick start, run in bash as a newcomer pastes it, against the stack as `npm start`
// runs it: `npm run --silent token` and all. The one change is the edge's port (a free one, given
// to the block and to `npm run token` as EDGE_PORT, as the README's troubleshooting says).
const README = readFileSync(join(WORKSPACE_ROOT, 'README.md'), 'utf8');
const quickStart = /```sh\n(SUB=ada-\$RANDOM\n[\s\S]*?)```/.exec(README)?.[1];

let stack: RunningStack;
let databases: string;
beforeAll(async () => {
  databases = mkdtempSync(join(tmpdir(), 'readme-'));
  // The issuer's keys where `npm run token` finds them (.data/auth, as with `npm start`).
  stack = await startStack({
    ports: 'free',
    edgePort: 0,
    dataRoot: join(WORKSPACE_ROOT, '.data'),
    databaseRoot: databases,
    env: { LOG_LEVEL: 'warn' },
  });
}, STARTUP_HOOK_TIMEOUT_MS);
afterAll(async () => {
  await stack?.stop();
  rmSync(databases, { recursive: true, force: true });
});

it('runs as it stands in bash, from a profile to a refunded payment read by an administrator', async () => {
  expect(quickStart).toBeDefined();
  const port = new URL(stack.edgeUrl).port;
  const { stdout } = await promisify(execFile)(
    'bash',
    ['-c', (quickStart ?? '').replaceAll('localhost:8080', `localhost:${port}`)],
    {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, EDGE_PORT: port },
      timeout: 120_000,
    },
  );
  const lines = stdout.split('\n');
  const json = (line: string | undefined) => JSON.parse(line ?? '{}') as Record<string, unknown>;
  expect(json(lines[0])).toMatchObject({ name: 'Ada', email: expect.stringMatching(/^ada-\d+@example\.com$/) });
  expect(json(lines[1])).toMatchObject({ status: 'CANCELLED', refundId: expect.any(String) });
  expect(json(lines[2])).toMatchObject({ status: 'REFUNDED' });
  expect(stdout).toMatch(/HTTP\/1\.1 401/);
  expect(stdout).toMatch(/www-authenticate: Bearer realm="platform"/i);
}, 150_000);
