module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'delivery',
  rootDir: __dirname,
  testTimeout: 120000,
};
