module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'http-client',
  rootDir: __dirname,
};
