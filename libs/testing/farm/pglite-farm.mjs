// A server of throwaway embedded PostgreSQL databases for test suites.
//
// PGlite loads its WebAssembly through dynamic import, which Jest's module sandbox
// forbids, and a fresh cluster costs seconds of initdb. This process runs outside Jest:
// it initialises one template cluster, then serves each suite a fresh PGlite restored
// from that template behind its own wire-protocol socket on 127.0.0.1.
//
//   POST   /databases        -> 201 {"url": "postgres://postgres@127.0.0.1:<port>/postgres", "id": "<port>"}
//   DELETE /databases/<id>   -> 204
//
// It prints {"farm": "http://127.0.0.1:<port>"} on stdout when ready and exits when its
// standard input closes (the Jest process that started it ended).
import { createServer } from 'node:http';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const template = await (async () => {
  const db = await PGlite.create();
  const dump = await db.dumpDataDir('none');
  await db.close();
  return dump;
})();

const databases = new Map();

async function createDatabase() {
  const db = await PGlite.create({ loadDataDir: template });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  await server.start();
  const id = server.getServerConn().split(':').pop();
  databases.set(id, { db, server });
  return { id, url: `postgres://postgres@${server.getServerConn()}/postgres` };
}

async function dropDatabase(id) {
  const entry = databases.get(id);
  if (!entry) return;
  databases.delete(id);
  await entry.server.stop();
  await entry.db.close();
}

const http = createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/databases') {
      const created = await createDatabase();
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(created));
    } else if (req.method === 'DELETE' && req.url?.startsWith('/databases/')) {
      await dropDatabase(req.url.slice('/databases/'.length));
      res.writeHead(204).end();
    } else {
      res.writeHead(404).end();
    }
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
  }
});

http.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ farm: `http://127.0.0.1:${http.address().port}` })}\n`);
});

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
