// Packages that ship ES modules only. Jest resolves with the `require` conditions, and some of these
// export their files to `import` only (the Kubernetes models and what they import): they are
// resolved as Node resolves an import, and jest.preset.cjs compiles them to CommonJS like the
// sources. A new one is added here, once.
const ES_MODULES_ONLY = [
  'jose',
  '@nestjs',
  'typebox',
  'kubernetes-models',
  '@kubernetes-models',
  'is-cidr',
  'cidr-regex',
  'ip-regex',
];
const esmOnly = new RegExp(`^(${ES_MODULES_ONLY.join('|')})(/|$)`);

module.exports = (request, options) =>
  options.defaultResolver(
    request,
    esmOnly.test(request) ? { ...options, conditions: ['import', 'node', 'default'] } : options,
  );
module.exports.ES_MODULES_ONLY = ES_MODULES_ONLY;
