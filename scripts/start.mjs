#!/usr/bin/env node
// `npm start`: runs the built auth-server and demo side by side with the embedded
// defaults, prints where they are, and stops both when either stops or on Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const env = { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'development' };
const port = env.PORT ?? '3000';
const demoPort = env.DEMO_PORT ?? '4200';
const issuer = env.AUTH_ISSUER ?? `http://localhost:${port}`;
const dataDir = resolve(root, env.DATA_DIR ?? '.data');

const apps = [
  { name: 'auth-server', main: 'dist/apps/auth-server/main.js' },
  { name: 'demo', main: 'dist/apps/demo/main.js' },
];
for (const app of apps) {
  if (!existsSync(resolve(root, app.main))) {
    console.error(`${app.main} is missing: run \`npm run build\` first (npm start does).`);
    process.exit(1);
  }
}

const children = apps.map((app) => {
  const child = spawn(process.execPath, ['--enable-source-maps', app.main], { cwd: root, env, stdio: 'inherit' });
  child.on('exit', (code, signal) => stopAll(app.name, code ?? (signal ? 1 : 0)));
  return child;
});

console.log(`
  auth-server  ${issuer}   (discovery: ${issuer}/.well-known/openid-configuration)
  demo         ${env.DEMO_PUBLIC_URL ?? `http://localhost:${demoPort}`}
  data         ${dataDir} (${env.DATABASE_URL ? 'PostgreSQL at DATABASE_URL' : 'embedded PostgreSQL'})
  dev admin credentials: ${resolve(dataDir, 'dev-credentials.json')} (written by auth-server in development)

  sign in: open the demo, click "Sign in", and use "user.email" and "user.password" from that file
  (without AUTH_BOOTSTRAP_FILE; with one, use a user it names)
`);

let stopping = false;
function stopAll(who, code) {
  if (stopping) return;
  stopping = true;
  if (who) console.error(`${who} exited (${code}); stopping the other service`);
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => process.exit(code || 1), 15_000);
  timer.unref();
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null))).then(() =>
    process.exit(code),
  );
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(undefined, 0));
