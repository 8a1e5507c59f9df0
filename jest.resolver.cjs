// Jest resolves with the `require` conditions. Some packages export their files to `import` only
// (the Kubernetes models, and the packages they import): for those it resolves as Node resolves an
// import. jest.preset.cjs compiles every package listed here to CommonJS.
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
const importOnly = /^(kubernetes-models|@kubernetes-models\/[^/]+|is-cidr|cidr-regex|ip-regex)(\/|$)/;

module.exports = (request, options) =>
  options.defaultResolver(
    request,
    importOnly.test(request) ? { ...options, conditions: ['import', 'node', 'default'] } : options,
  );
module.exports.ES_MODULES_ONLY = ES_MODULES_ONLY;
