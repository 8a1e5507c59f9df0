import nx from '@nx/eslint-plugin';

// Module specifiers of each framework, as regular expressions.
const frameworks = {
  express: ['^express(/.*)?$', '^helmet$'],
  fastify: ['^fastify(/.*)?$', '^fastify-plugin$', '^@fastify/'],
  nest: ['^@nestjs/'],
};
const allFrameworkImports = Object.values(frameworks).flat();
const adapterFiles = (name) => [`libs/*/src/${name}.ts`, `libs/*/src/${name}/**/*.ts`];
const banned = (regexes, message) => ({
  'no-restricted-imports': ['error', { patterns: regexes.map((regex) => ({ regex, message })) }],
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
  // The framework-free core of every library: no framework, and never its own adapters.
  {
    files: ['libs/*/src/**/*.ts'],
    ignores: [
      ...adapterFiles('express'),
      ...adapterFiles('fastify'),
      ...adapterFiles('nest'),
      'libs/*/src/**/*.spec.ts',
      'libs/*/src/testing.ts',
    ],
    rules: banned(
      [...allFrameworkImports, '^\\./(express|fastify|nest)$', '^@platform/[^/]+/(express|fastify|nest)$'],
      'The core of a platform library is framework-free: put framework code in its /express, /fastify or /nest adapter.',
    ),
  },
  // Each adapter speaks to one framework only.
  ...Object.entries(frameworks).map(([name]) => ({
    files: adapterFiles(name),
    ignores: ['libs/*/src/**/*.spec.ts'],
    rules: banned(
      Object.entries(frameworks)
        .filter(([other]) => other !== name && !(name === 'nest' && other === 'express'))
        .flatMap(([, patterns]) => patterns),
      `The /${name} adapter must not depend on another framework.`,
    ),
  })),
];
