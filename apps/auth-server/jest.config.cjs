module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'auth-server',
  rootDir: __dirname,
};
