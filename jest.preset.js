// Shared Jest settings. NestJS 12, jose 6 and parts of otplib ship as ESM only;
// Jest runs in CommonJS mode and lets @swc/jest transform those packages.
const esmPackages = [
  '@nestjs', 'jose', 'uid', 'file-type', 'strtok3', 'token-types', '@tokenizer', 'uint8array-extras',
  'otplib', '@otplib', '@noble', '@scure', 'openid-client', 'oauth4webapi', '@electric-sql', 'load-esm',
].join('|');

const swcOptions = require('./tools/swc-options.cjs');

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swcOptions] },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testMatch: ['**/?(*.)+(spec|e2e-spec).ts'],
  moduleNameMapper: require('./jest.paths.js'),
  testTimeout: 60_000,
  passWithNoTests: false,
  // One JSON summary per project run in tmp/test-results/, summed by .ci/run.
  reporters: ['default', require('node:path').join(__dirname, 'tools/jest-summary-reporter.cjs')],
};
