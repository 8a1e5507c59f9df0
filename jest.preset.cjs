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

// Packages that ship ES modules only (jose, NestJS from 12, TypeBox 1, the Kubernetes models of the
// delivery checks and what they import): compiled to CommonJS for Jest like the sources. (Jest loads ES
// modules natively only under --experimental-vm-modules.)
const { ES_MODULES_ONLY } = require('./jest.resolver.cjs');
const esm = ES_MODULES_ONLY.map((name) => name.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&')).join('|');

module.exports = {
  testEnvironment: 'node',
  resolver: join(__dirname, 'jest.resolver.cjs'),
  transform: {
    [`^.+\\.ts$|/node_modules/(${esm})/.+\\.m?js$`]: [
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
  transformIgnorePatterns: [`/node_modules/(?!(${esm})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper,
  testMatch: ['**/?(*.)spec.ts'],
  // Servers, pools and embedded databases must be closed by the tests themselves; this only
  // stops a leaked handle from hanging CI.
  forceExit: false,
  testTimeout: 30000,
};
