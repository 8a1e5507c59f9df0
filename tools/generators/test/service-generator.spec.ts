import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchWorkspace, type ScratchWorkspace } from '@platform/testing';
import { buildSync } from 'esbuild';
import { parseAllDocuments } from 'yaml';

// A rendered Kubernetes object, as far as these checks read it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type KubeObject = Record<string, any>;

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
const services = generated.map(([name]) => `${name}-service`);

it('creates a service per framework that passes lint, type-check, tests, chart checks and the GitOps check untouched', () => {
  for (const [name, framework] of generated) nx('g', '@platform/tools:service', name, `--framework=${framework}`);

  // One entry each in the system's manifest; nothing else outside the new apps and charts changed
  // (and their committed contracts, which the generator derives from their code).
  const manifest = JSON.parse(readFileSync(join(workspace, 'deploy/services.json'), 'utf8')) as {
    services: { name: string; framework: string; path: string; localPort: number; calls: string[] }[];
  };
  expect(manifest.services.slice(-3)).toEqual([
    { name: 'stock-service', framework: 'express', path: '/stock', localPort: 3004, calls: [] },
    { name: 'catalog-service', framework: 'nest', path: '/catalog', localPort: 3005, calls: [] },
    { name: 'inventory-service', framework: 'fastify', path: '/inventory', localPort: 3006, calls: [] },
  ]);
  const names = services.join('|');
  const changed = run('git', ['status', '--porcelain', '--untracked-files=all'])
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(3));
  const generatedPath = new RegExp(
    `^(deploy/services\\.json|apps/(${names})/.+|deploy/charts/(${names})/.+|docs/api/(${names})\\.openapi\\.json)$`,
  );
  expect(changed.filter((file) => !generatedPath.test(file))).toEqual([]);

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

it('wires a new service into the system from its manifest entry alone', () => {
  // By hand, in the manifest only: stock-service calls payment-service, catalog-service calls stock-service.
  const file = join(workspace, 'deploy/services.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { services: { name: string; calls: string[] }[] };
  const calls: Record<string, string[]> = {
    'stock-service': ['payment-service'],
    'catalog-service': ['stock-service'],
  };
  for (const entry of manifest.services) entry.calls = calls[entry.name] ?? entry.calls;
  writeFileSync(file, JSON.stringify(manifest, null, 2));

  // The cluster: its Application, its route on the ALB, its daily backup, who may call whom.
  const out = join(workspace, 'tmp/rendered');
  run(process.execPath, ['dist/tools/delivery/cli.cjs', 'render', `--out=${out}`]);
  const objects = (app: string) =>
    parseAllDocuments(readFileSync(join(out, `${app}.yaml`), 'utf8')).map((d) => d.toJS() as KubeObject);
  const find = (app: string, kind: string, name: string) =>
    objects(app).find((o) => o.kind === kind && o.metadata.name === name) as KubeObject;
  const env = (app: string) =>
    Object.fromEntries(
      (find(app, 'Deployment', app).spec.template.spec.containers[0].env as { name: string; value?: string }[]).map(
        (e) => [e.name, e.value],
      ),
    );
  const root = objects('_root');
  expect(root.find((o) => o.kind === 'Application' && o.metadata.name === 'stock-service')).toBeDefined();
  expect(find('shared-ingress', 'Ingress', 'stock-service').spec.rules[0].http.paths[0].path).toBe('/stock');
  const daily = find('velero-schedules', 'Schedule', 'daily');
  expect(daily.spec.template.includedNamespaces).toEqual(expect.arrayContaining(services));

  expect(env('payment-service')['WORKLOAD_ALLOWED_CALLERS']).toBe(
    'system:serviceaccount:order-service:order-service,system:serviceaccount:stock-service:stock-service',
  );
  expect(env('stock-service')).toMatchObject({
    PAYMENT_SERVICE_URL: 'http://payment-service.payment-service.svc.cluster.local:80',
    WORKLOAD_ALLOWED_CALLERS: 'system:serviceaccount:catalog-service:catalog-service',
  });
  const admitted = (app: string) =>
    (find(app, 'NetworkPolicy', app).spec.ingress as { from?: KubeObject[] }[])
      .flatMap((rule) => rule.from ?? [])
      .filter((peer) => peer.podSelector !== undefined) // a service, not Prometheus or the load balancer
      .map((peer) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name']);
  expect(admitted('payment-service')).toEqual(expect.arrayContaining(['order-service', 'stock-service']));
  expect(admitted('stock-service')).toEqual(expect.arrayContaining(['catalog-service']));
  expect(admitted('inventory-service')).toEqual([]);
  expect(nx('run', 'delivery:gitops-check', '--output-style=static', '--skip-nx-cache')).toMatch(/every check passed/);

  // Locally: the stack starts it, pointed at what it calls, with a token for each.
  const probe = join(workspace, 'tmp/stack-probe.cjs');
  buildSync({
    stdin: {
      contents:
        "import { SERVICES, WorkloadTokens } from '@platform/local-stack';\n" +
        "const tokens = new WorkloadTokens({} as never, '/tokens');\n" +
        "console.log(JSON.stringify({ services: SERVICES, stock: tokens.environment('stock-service') }));\n",
      resolveDir: workspace,
      loader: 'ts',
    },
    outfile: probe,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    tsconfig: join(workspace, 'tsconfig.base.json'),
    logLevel: 'silent',
  });
  expect(JSON.parse(run(process.execPath, [probe]))).toEqual({
    services: ['user-service', 'order-service', 'payment-service', ...services],
    stock: { PAYMENT_SERVICE_TOKEN_FILE: '/tokens/stock-service/payment-service' },
  });
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
    /A service named inventory-service already exists \(apps\/inventory-service, deploy\/charts\/inventory-service, inventory-service or \/inventory in deploy\/services\.json\); nothing was changed\./,
  );
  expect(run('git', ['status', '--porcelain'])).toBe(before);
});
