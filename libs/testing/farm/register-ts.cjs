// Runs the workspace's TypeScript sources in a plain Node process (outside Jest), for
// tests that start a real server process: `node -r libs/testing/farm/register-ts.cjs apps/x/src/main.ts`.
// Compiles with the same swc options as Jest and resolves the @authkit/* path aliases.
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');
const swcOptions = require('../../../tools/swc-options.cjs');

const root = join(__dirname, '../../..');
const { compilerOptions } = require(join(root, 'tsconfig.base.json'));
const aliases = new Map(Object.entries(compilerOptions.paths).map(([alias, [target]]) => [alias, join(root, target)]));

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, aliases.get(request) ?? request, ...rest);
};

require.extensions['.ts'] = function compile(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...swcOptions, filename });
  module._compile(code, filename);
};
