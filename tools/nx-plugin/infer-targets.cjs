// Infers targets that every project of a kind shares, so project.json files hold only tags and
// truly custom targets (the way @nx/jest/plugin infers `test`):
//   - every TypeScript project (a tsconfig.json beside a project.json): `typecheck`
//   - every Helm chart (deploy/charts/*, velero/*, argocd/*) becomes a project `<chart>-chart` with
//     `lint` (helm lint --strict, default and environment values) and, for service charts, `test`
//     (render and check against the Kubernetes schemas and the platform's policies). A chart
//     depends on the local charts it lists, so a library chart change affects every service chart.
const { dirname, join } = require('node:path');
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
                    command: 'tsc --noEmit --pretty -p tsconfig.json',
                    options: { cwd: root },
                    cache: true,
                    inputs: ['default', '^production', { externalDependencies: ['typescript'] }],
                    outputs: [],
                    metadata: { description: 'Type-check the project (sources and tests) with tsc.' },
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
      const inputs = ['{projectRoot}/**/*', '!{projectRoot}/charts/**', '^{projectRoot}/**/*'];
      const targets = {
        lint: {
          command: `node tools/delivery/chart-lint.cjs ${root}`,
          cache: true,
          inputs: [...inputs, '{workspaceRoot}/tools/delivery/chart-lint.cjs'],
          outputs: [],
          metadata: { description: 'helm lint --strict with default and environment values.' },
        },
      };
      const serviceChart = localDependencies.includes(chartProjectName('platform-service'));
      if (serviceChart) {
        targets.test = {
          command: `CHART=${root} jest -c tools/delivery/jest.config.cjs tools/delivery/test/chart.spec.ts`,
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
              implicitDependencies: [...localDependencies, 'delivery'],
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

// Nx takes one createNodes per plugin module: a second plugin entry points at this file's charts export.
module.exports.charts = { name: 'platform-infer-charts', createNodes: chartNodes };
