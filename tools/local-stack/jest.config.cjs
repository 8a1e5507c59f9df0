module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'local-stack-cli',
  rootDir: __dirname,
  testTimeout: 120000,
};
