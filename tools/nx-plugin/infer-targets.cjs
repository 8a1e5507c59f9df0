// Infers targets that every project of a kind shares, so project.json files hold only tags and
// truly custom targets (the way @nx/jest/plugin infers `test`).
//   - every TypeScript project (a tsconfig.json beside a project.json): `typecheck`
const { dirname, join } = require('node:path');
const { existsSync } = require('node:fs');

/** @type {import('nx/src/project-graph/plugins').CreateNodes} */
const createNodes = [
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

module.exports = { name: 'platform-infer-targets', createNodes };
