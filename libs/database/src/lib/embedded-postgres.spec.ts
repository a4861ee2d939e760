import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// PGlite cannot load inside Jest's module sandbox, so these run EmbeddedPostgres in a
// plain Node process, from source.
const run = promisify(execFile);
const root = join(__dirname, '../../../..');

async function inNode(script: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['-r', join(root, 'libs/testing/farm/register-ts.cjs'), '-e', script], {
    cwd: root,
    timeout: 60_000,
  });
  return stdout.trim();
}

const prelude = `
  const { EmbeddedPostgres } = require('${join(root, 'libs/database/src/lib/embedded-postgres.ts')}');
  const { Client } = require('pg');
  async function query(url, sql) {
    const c = new Client({ connectionString: url }); await c.connect();
    try { return (await c.query(sql)).rows; } finally { await c.end(); }
  }
`;

describe('EmbeddedPostgres', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'authkit-embedded-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('serves the wire protocol and keeps its data in DATA_DIR across restarts', async () => {
    await inNode(`${prelude}
      (async () => {
        const db = await EmbeddedPostgres.start(${JSON.stringify(dataDir)});
        await query(db.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')");
        await db.stop();
      })().catch((e) => { console.error(e); process.exit(1); });`);
    const out = await inNode(`${prelude}
      (async () => {
        const db = await EmbeddedPostgres.start(${JSON.stringify(dataDir)});
        console.log(JSON.stringify(await query(db.url, 'SELECT v FROM kept')));
        await db.stop();
      })().catch((e) => { console.error(e); process.exit(1); });`);
    expect(JSON.parse(out)).toEqual([{ v: 'survives' }]);
  });

  it('refuses a data directory that another live process holds', async () => {
    // The Jest process itself stands in for the other instance holding the lock.
    await writeFile(join(dataDir, 'pg.lock'), String(process.pid));
    const out = await inNode(`${prelude}
      EmbeddedPostgres.start(${JSON.stringify(dataDir)}).then(
        () => console.log('started'),
        (e) => console.log(e.message));`);
    expect(out).toMatch(/in use by process \d+/);
  });

  it('takes over a stale lock left by a process that is gone', async () => {
    await writeFile(join(dataDir, 'pg.lock'), '999999999');
    const out = await inNode(`${prelude}
      EmbeddedPostgres.start(${JSON.stringify(dataDir)}).then(async (db) => { console.log('started'); await db.stop(); });`);
    expect(out).toBe('started');
  });
});
