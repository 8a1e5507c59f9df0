import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchWorkspace, type ScratchWorkspace } from '@platform/testing';

// The generator in a scratch copy of this workspace (its files as they are now, node_modules
// linked): one new service per framework, then that copy's own lint, type-check, tests, chart
// checks and GitOps render-and-check must pass with no manual edit.
let scratch: ScratchWorkspace;
let workspace: string;
const run = (command: string, args: string[]) => scratch.run(command, args);
const nx = (...args: string[]) => scratch.nx(...args);

beforeAll(() => {
  scratch = scratchWorkspace('generator');
  workspace = scratch.root;
});
afterAll(() => scratch.remove());

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
      `  - name: ${service}\n    namespace: ${service}\n    project: platform-services\n    wave: 1\n    podSecurity: restricted\n    released: true\n    path: deploy/charts/${service}`,
    );
  const schedules = readFileSync(join(workspace, 'velero/schedules/values.yaml'), 'utf8');
  for (const service of services) expect(schedules).toContain(`    - ${service}\n`);

  // One service shape, generated or hand-written: src/api.ts (the contract), src/compose.ts (its
  // parts and jobs), src/app.ts building the framework's app on them, src/server.ts starting it all
  // (the same statements, framework by framework), and the feature in a folder of its own.
  const handWritten = { express: 'user-service', nest: 'order-service', fastify: 'payment-service' };
  for (const [name, framework] of generated) {
    const shapes: [root: string, feature: string][] = [
      [join(workspace, 'apps', `${name}-service`), 'items'],
      [join(workspace, 'apps', handWritten[framework]), handWritten[framework].replace('-service', 's')],
    ];
    for (const [root, feature] of shapes) {
      const src = (file: string) => readFileSync(join(root, 'src', file), 'utf8');
      expect(src('app.ts')).toMatch(/^export async function buildApp\(|^export function buildApp\(/m);
      expect(src('server.ts')).toMatch(/^export async function start\(environment: NodeJS\.ProcessEnv\)/m);
      expect(src('compose.ts')).toMatch(
        /^export function compose\(\s*_?settings: Settings,\s*_?runtime: ServiceRuntime,\s*db: Database[,)]/m,
      );
      expect(src(framework === 'nest' ? 'app.module.ts' : 'app.ts')).toMatch(
        /\{ runtime, auth, service \}: AppDependencies/,
      );
      expect(src('api.ts')).toMatch(/^export const api = serviceApi\(/m);
      expect(readdirSync(join(root, 'src', feature))).toEqual(
        expect.arrayContaining([
          `${feature}.api.ts`,
          ...(framework === 'nest' ? [`${feature}.module.ts`, `${feature}.controller.ts`] : ['routes.ts']),
        ]),
      );
    }
    // Started the same way, statement for statement: only the name differs.
    const server = (service: string) =>
      readFileSync(join(workspace, 'apps', service, 'src/server.ts'), 'utf8').replaceAll(service, 'SERVICE');
    expect(server(`${name}-service`)).toBe(server(handWritten[framework]));
    expect(existsSync(join(workspace, `docs/api/${name}-service.openapi.json`))).toBe(true);
  }

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
