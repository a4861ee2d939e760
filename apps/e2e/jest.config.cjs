// Browser tests against the built auth-server and demo, run as separate processes
// exactly as `npm start` runs them (`npm run test:e2e`).
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'e2e',
  rootDir: __dirname,
  testTimeout: 120_000,
};
