module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'system',
  rootDir: __dirname,
};
