import nx from '@nx/eslint-plugin';

// Module specifiers of each framework, as regular expressions.
const frameworks = {
  express: ['^express(/.*)?$', '^helmet$'],
  fastify: ['^fastify(/.*)?$', '^fastify-plugin$', '^@fastify/'],
  nest: ['^@nestjs/'],
};
const allFrameworkImports = Object.values(frameworks).flat();
const adapterFiles = (name) => [`libs/*/src/${name}.ts`, `libs/*/src/${name}/**/*.ts`];
// Test helpers stay in tests: what a service or a library ships never loads them.
const testHelpers = {
  regexes: ['^@platform/(testing|local-stack)(/.*)?$'],
  message: 'Test helpers are for tests (*.spec.ts and test/), not for what a service ships.',
};
const banned = (...groups) => ({
  'no-restricted-imports': [
    'error',
    { patterns: groups.flatMap(({ regexes, message }) => regexes.map((regex) => ({ regex, message }))) },
  ],
});

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/.nx', '**/coverage', 'deploy/**', 'argocd/**', 'velero/**'] },
  {
    files: ['**/*.ts', '**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:app'] },
            { sourceTag: 'type:tools', onlyDependOnLibsWithTags: ['type:lib', 'type:tools'] },
            { sourceTag: 'type:chart', onlyDependOnLibsWithTags: ['type:chart'] },
            // Scopes: who may use what. Services and platform libraries never reach for the tools.
            { sourceTag: 'scope:service', onlyDependOnLibsWithTags: ['scope:platform', 'scope:testing'] },
            { sourceTag: 'scope:platform', onlyDependOnLibsWithTags: ['scope:platform', 'scope:testing'] },
            { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:testing'] },
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:platform', 'scope:testing', 'scope:tools'] },
            { sourceTag: 'scope:system', onlyDependOnLibsWithTags: ['scope:platform', 'scope:testing', 'scope:tools'] },
            { sourceTag: 'scope:delivery', onlyDependOnLibsWithTags: ['scope:delivery'] },
            // Layers: a utility (errors, logging, metrics, tracing, auth…) knows no framework glue
            // and no other layer; the platform (contracts, runtime, persistence) builds on utilities;
            // a service on both. Nothing reaches up.
            { sourceTag: 'layer:util', onlyDependOnLibsWithTags: ['layer:util'] },
            { sourceTag: 'layer:platform', onlyDependOnLibsWithTags: ['layer:util', 'layer:platform'] },
            { sourceTag: 'layer:service', onlyDependOnLibsWithTags: ['layer:util', 'layer:platform'] },
          ],
        },
      ],
    },
  },
  // Jest configs extend the workspace preset by path, as Nx generates them.
  { files: ['**/jest.config.cjs'], rules: { '@nx/enforce-module-boundaries': 'off' } },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },
  { files: ['apps/*/src/**/*.ts'], ignores: ['**/*.spec.ts'], rules: banned(testHelpers) },
  // The framework-free core of every library: no framework, and never its own adapters; no test
  // helpers either, except in the tools' own library (local-stack builds on @platform/testing).
  ...[
    { files: ['libs/*/src/**/*.ts'], ignores: ['libs/local-stack/**'], extra: [testHelpers] },
    { files: ['libs/local-stack/src/**/*.ts'], extra: [] },
  ].map(({ files, ignores = [], extra }) => ({
    files,
    ignores: [
      ...ignores,
      ...adapterFiles('express'),
      ...adapterFiles('fastify'),
      ...adapterFiles('nest'),
      'libs/*/src/**/*.spec.ts',
      'libs/*/src/testing.ts',
    ],
    rules: banned(
      {
        regexes: [...allFrameworkImports, '^\\./(express|fastify|nest)$', '^@platform/[^/]+/(express|fastify|nest)$'],
        message:
          'The core of a platform library is framework-free: put framework code in its /express, /fastify or /nest adapter.',
      },
      ...extra,
    ),
  })),
  // Each adapter speaks to one framework only.
  ...Object.entries(frameworks).map(([name]) => ({
    files: adapterFiles(name),
    ignores: ['libs/*/src/**/*.spec.ts'],
    rules: banned(
      {
        regexes: Object.entries(frameworks)
          .filter(([other]) => other !== name && !(name === 'nest' && other === 'express'))
          .flatMap(([, patterns]) => patterns),
        message: `The /${name} adapter must not depend on another framework.`,
      },
      testHelpers,
    ),
  })),
];
