// Infers targets that every project of a kind shares, so project.json files hold only tags and
// truly custom targets (the way @nx/jest/plugin infers `test`):
//   - every TypeScript project (a tsconfig.json beside a project.json): `typecheck`
//   - every service (apps/<name> with src/main.ts and src/migrations): `build`, one bundle as the
//     image runs it, and `serve`, which rebuilds and restarts it on every change
//   - every Helm chart (deploy/charts/*, velero/*, argocd/*) becomes a project `<chart>-chart` with
//     `lint` (helm lint --strict, default and environment values) and, for service charts, `test`
//     (render and check against the Kubernetes schemas and the platform's policies). A chart
//     depends on the local charts it lists, so a library chart change affects every service chart;
//     the checks' code (tools/delivery) is an input of its targets, which Nx counts as touching it,
//     rather than a dependency, through which one chart's change would reach all of its siblings.
const { dirname, join, relative } = require('node:path');
const { existsSync, readFileSync } = require('node:fs');

const typecheckNodes = [
  '**/tsconfig.json',
  (configFiles, _options, context) =>
    configFiles
      .filter((file) => file !== 'tsconfig.json' && !file.includes('node_modules'))
      .filter((file) => existsSync(join(context.workspaceRoot, dirname(file), 'project.json')))
      .map((file) => {
        const root = dirname(file);
        return [
          file,
          {
            projects: {
              [root]: {
                targets: {
                  typecheck: {
                    // TypeScript 7's native compiler, installed beside the 6.0 one under its own
                    // name (typescript-7): typescript-eslint and Nx's plugins need the classic
                    // compiler API (6.0 is its last line), which 7 no longer has. By path, since both
                    // packages name their binary `tsc`.
                    command: `node ${join(relative(root, '.') || '.', 'node_modules/typescript-7/bin/tsc')} --noEmit --pretty -p tsconfig.json`,
                    options: { cwd: root },
                    cache: true,
                    inputs: ['default', '^production', { externalDependencies: ['typescript-7'] }],
                    outputs: [],
                    metadata: {
                      description: 'Type-check the project (sources and tests) with the native TypeScript 7 compiler.',
                    },
                  },
                },
              },
            },
          },
        ];
      }),
];

/**
 * Packages a service bundle leaves out: the embedded database engine (WebAssembly and data files,
 * loaded only without PostgreSQL), a development-only log formatter, and optional peers that
 * NestJS and pg load only if installed (they are not: the prune step of the image skips them).
 */
const SERVICE_EXTERNALS = [
  '@electric-sql/pglite',
  'pino-pretty',
  'pg-native',
  'class-transformer',
  'class-validator',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  '@nestjs/microservices',
  '@nestjs/microservices/*',
];

/** A service's entry in the system's manifest (deploy/services.json), if it has one. */
const manifestEntry = (workspaceRoot, name) => {
  const file = join(workspaceRoot, 'deploy/services.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).services.find((s) => s.name === name) : undefined;
};

const serviceNodes = [
  // The manifest is matched too, so that a change to it recomputes whom each service depends on.
  '{apps/*/src/main.ts,deploy/services.json}',
  (files, _options, context) =>
    files
      .filter((file) => file.endsWith('/src/main.ts'))
      .map((file) => dirname(dirname(file)))
      .filter((root) => existsSync(join(context.workspaceRoot, root, 'src/migrations')))
      .filter((root) => existsSync(join(context.workspaceRoot, root, 'project.json')))
      .map((root) => {
        const name = JSON.parse(readFileSync(join(context.workspaceRoot, root, 'project.json'), 'utf8')).name;
        // The services it calls (deploy/services.json): its tests start them, so a change to one affects it.
        const calls = manifestEntry(context.workspaceRoot, name)?.calls ?? [];
        return [
          `${root}/src/main.ts`,
          {
            projects: {
              [root]: {
                implicitDependencies: calls,
                targets: {
                  build: {
                    executor: '@nx/esbuild:esbuild',
                    outputs: ['{options.outputPath}'],
                    options: {
                      main: `${root}/src/main.ts`,
                      outputPath: `dist/${root}`,
                      tsConfig: `${root}/tsconfig.app.json`,
                      platform: 'node',
                      format: ['cjs'],
                      target: 'node22',
                      // One file with its npm packages inlined: no module resolution at start,
                      // ASCII and without whitespace so V8 keeps its source as one small string.
                      bundle: true,
                      thirdParty: true,
                      external: SERVICE_EXTERNALS,
                      esbuildOptions: {
                        charset: 'ascii',
                        minifyWhitespace: true,
                        minifySyntax: true,
                        legalComments: 'none',
                      },
                      generatePackageJson: true,
                      skipTypeCheck: true,
                      sourcemap: true,
                      assets: [{ input: `${root}/src/migrations`, glob: '*.sql', output: 'migrations' }],
                    },
                    metadata: {
                      description: 'Bundle the service as its image runs it (dist/apps/<service>/main.cjs).',
                    },
                  },
                  serve: {
                    executor: '@nx/js:node',
                    continuous: true,
                    // The local issuer first (npm start's, at the same URL with the same keys), so
                    // a service served alone trusts the tokens `npm run token` mints.
                    dependsOn: [{ projects: ['local-stack-cli'], target: 'issuer' }],
                    options: {
                      buildTarget: `${name}:build`,
                      // Rebuilds on every change of the service or its libraries and restarts it;
                      // its embedded database stays in .data/<service>.
                      watch: true,
                      inspect: false,
                      runtimeArgs: ['--enable-source-maps'],
                    },
                    metadata: { description: 'Run the service locally, rebuilt and restarted on every change.' },
                  },
                },
              },
            },
          },
        ];
      }),
];

const chartProjectName = (name) => `${name}-chart`;

const chartNodes = [
  '{deploy/charts,velero,argocd}/*/Chart.yaml',
  (configFiles, _options, context) => {
    const { parse } = require('yaml');
    return configFiles.map((file) => {
      const root = dirname(file);
      const chart = parse(readFileSync(join(context.workspaceRoot, file), 'utf8'));
      const localDependencies = (chart.dependencies ?? [])
        .filter((d) => typeof d.repository === 'string' && d.repository.startsWith('file://'))
        .map((d) => chartProjectName(d.name));
      const serviceChart = localDependencies.includes(chartProjectName('platform-service'));
      const inputs = ['{projectRoot}/**/*', '!{projectRoot}/charts/**', '^{projectRoot}/**/*'];
      // A service chart renders under the system's manifest and the shared production layer
      // (tools/delivery/system-layers.cjs); the shared ingress, the schedules and the app-of-apps read the manifest.
      if (serviceChart || ['shared-ingress', 'velero-schedules', 'platform-apps'].includes(chart.name))
        inputs.push('{workspaceRoot}/deploy/services.json', '{workspaceRoot}/deploy/values-*.yaml');
      const targets = {
        lint: {
          command: `node tools/delivery/chart-lint.cjs ${root}`,
          cache: true,
          inputs: [...inputs, '{workspaceRoot}/tools/delivery/chart-lint.cjs'],
          outputs: [],
          metadata: { description: 'helm lint --strict with default and environment values.' },
        },
      };
      if (serviceChart) {
        targets.test = {
          command: `CHART=${root} jest -c tools/delivery/jest.config.cjs tools/delivery/test/chart.spec.ts`,
          options: { env: { NODE_OPTIONS: '--experimental-vm-modules --disable-warning=ExperimentalWarning' } },
          cache: true,
          inputs: [...inputs, '{workspaceRoot}/tools/delivery/**/*'],
          outputs: [],
          metadata: {
            description:
              'Render the chart and check every object against the Kubernetes schemas and the platform policies.',
          },
        };
      }
      return [
        file,
        {
          projects: {
            [root]: {
              name: chartProjectName(chart.name),
              projectType: chart.type === 'library' ? 'library' : 'application',
              tags: ['type:chart', 'scope:delivery'],
              implicitDependencies: localDependencies,
              targets,
            },
          },
        },
      ];
    });
  },
];

module.exports = {
  name: 'platform-infer-targets',
  createNodes: typecheckNodes,
};

// Nx takes one createNodes per plugin module: the services and the charts have entries of their own.
module.exports.services = { name: 'platform-infer-services', createNodes: serviceNodes };
module.exports.SERVICE_EXTERNALS = SERVICE_EXTERNALS;

module.exports.charts = { name: 'platform-infer-charts', createNodes: chartNodes };
