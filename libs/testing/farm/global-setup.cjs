// Jest globalSetup: starts the embedded-database farm once per Jest run and hands its
// address to the workers through the environment.
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const readline = require('node:readline');

module.exports = async function startPgliteFarm() {
  if (process.env.AUTHKIT_PGLITE_FARM) return;
  const child = spawn(process.execPath, [join(__dirname, 'pglite-farm.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const address = await new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(JSON.parse(line).farm));
    child.once('exit', (code) => reject(new Error(`the PGlite farm exited with ${code}`)));
  });
  child.stdout.resume();
  process.env.AUTHKIT_PGLITE_FARM = address;
  globalThis.__AUTHKIT_PGLITE_FARM__ = child;
};
