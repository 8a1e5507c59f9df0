module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'nx-plugin',
  rootDir: __dirname,
  testTimeout: 300000,
};
