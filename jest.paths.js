// Maps the workspace's path aliases (tsconfig.base.json) for Jest.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

module.exports = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace('/', '\\/')}$`,
    path.join(__dirname, target),
  ]),
);
