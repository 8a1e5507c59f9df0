// Shared jest settings: @swc/jest for speed (types are checked by the `typecheck` target),
// and the workspace path aliases mapped from tsconfig.base.json so there is one source of truth.
const { join } = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&')}$`,
    join(__dirname, target),
  ]),
);

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$|/node_modules/(jose|@nestjs)/.+\\.js$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: false },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  // jose and NestJS (from 12) ship ES modules only: compiled to CommonJS for Jest like the
  // sources. (Jest loads ES modules natively only under --experimental-vm-modules.)
  transformIgnorePatterns: ['/node_modules/(?!(jose|@nestjs)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  testMatch: ['**/?(*.)spec.ts'],
  // Servers, pools and embedded databases must be closed by the tests themselves; this only
  // stops a leaked handle from hanging CI.
  forceExit: false,
  testTimeout: 30000,
};
