module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'mfa',
  rootDir: __dirname,
};
