module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'demo',
  rootDir: __dirname,
  // Integration suites get throwaway embedded databases from the PGlite farm.
  globalSetup: '<rootDir>/../../libs/testing/farm/global-setup.cjs',
  globalTeardown: '<rootDir>/../../libs/testing/farm/global-teardown.cjs',
};
