import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@platform/testing';

// The generator in a scratch copy of this workspace (its files as they are now, node_modules
// linked): one new service per framework, then that copy's own lint, type-check, tests, chart
// checks and GitOps render-and-check must pass with no manual edit.
let workspace: string;
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' };
const run = (command: string, args: string[]) =>
  execFileSync(command, args, { cwd: workspace, env, encoding: 'utf8', stdio: 'pipe', maxBuffer: 64 * 1024 * 1024 });
const nx = (...args: string[]) =>
  run(process.execPath, [join(WORKSPACE_ROOT, 'node_modules/nx/dist/bin/nx.js'), ...args]);

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), 'generator-'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: WORKSPACE_ROOT })
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  execFileSync('cp', ['--parents', ...files, workspace], { cwd: WORKSPACE_ROOT });
  symlinkSync(join(WORKSPACE_ROOT, 'node_modules'), join(workspace, 'node_modules'));
  run('git', ['init', '-q']);
  run('git', ['add', '-A']);
  run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-qm', 'scratch']);
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const generated = [
  ['stock', 'express'],
  ['catalog', 'nest'],
  ['inventory', 'fastify'],
] as const;

it('creates a service per framework that passes lint, type-check, tests, chart checks and the GitOps check untouched', () => {
  for (const [name, framework] of generated) nx('g', '@platform/tools:service', name, `--framework=${framework}`);
  const services = generated.map(([name]) => `${name}-service`);

  const routes = JSON.parse(readFileSync(join(workspace, 'deploy/routes.json'), 'utf8')) as {
    routes: { path: string; service: string; localPort: number }[];
  };
  expect(routes.routes.slice(-3)).toEqual([
    { path: '/stock', service: 'stock-service', localPort: 3004 },
    { path: '/catalog', service: 'catalog-service', localPort: 3005 },
    { path: '/inventory', service: 'inventory-service', localPort: 3006 },
  ]);
  const apps = readFileSync(join(workspace, 'argocd/apps/values.yaml'), 'utf8');
  for (const service of services)
    expect(apps).toContain(
      `  - name: ${service}\n    namespace: ${service}\n    wave: 1\n    path: deploy/charts/${service}`,
    );
  const schedules = readFileSync(join(workspace, 'velero/schedules/values.yaml'), 'utf8');
  for (const service of services) expect(schedules).toContain(`    - ${service}\n`);

  const projects = [...services, ...services.map((s) => `${s}-chart`)].join(',');
  nx('run-many', '-t', 'lint', 'typecheck', 'test', '-p', projects, '--output-style=static', '--skip-nx-cache');
  expect(nx('run', 'delivery:gitops-check', '--output-style=static', '--skip-nx-cache')).toMatch(
    /9 Applications, \d+ objects: every check passed\./,
  );
});

it('refuses a name that exists, with a clear message, and changes nothing', () => {
  const before = run('git', ['status', '--porcelain']);
  let message = '';
  try {
    nx('g', '@platform/tools:service', 'inventory', '--framework=express');
  } catch (error) {
    message = String((error as { stdout?: string }).stdout) + String((error as { stderr?: string }).stderr);
  }
  expect(message).toMatch(
    /A service named inventory-service already exists \(apps\/inventory-service, deploy\/charts\/inventory-service, the route \/inventory in deploy\/routes\.json\); nothing was changed\./,
  );
  expect(run('git', ['status', '--porcelain'])).toBe(before);
});
