// The floor of the token endpoint on this machine: Fastify (auth-server's platform) answering
// POST /token with an ES256 JWT access token of the same shape, signed with node:crypto in
// libuv's thread pool as auth-server signs, and nothing else: no client authentication, no
// database, no audit record, no throttling. bench/token.bench.ts loads it in the same run as
// auth-server and oidc-provider, so the ES256 figure can be read against what HTTP and one
// signature alone cost here. It is context, not a competitor: it checks nothing.
//
// Environment: PORT (required), BENCH_CLIENT_ID, BENCH_AUDIENCE, BENCH_SCOPE. Prints one JSON line
// {"msg":"listening","port":N,...} on stdout when ready, exits 0 on SIGTERM.
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('signing-floor bench server: PORT is required\n');
  process.exit(2);
}
const clientId = process.env.BENCH_CLIENT_ID ?? 'bench';
const audience = process.env.BENCH_AUDIENCE ?? 'http://localhost:4200/api';
const scope = process.env.BENCH_SCOPE ?? 'demo:read';
const issuer = `http://127.0.0.1:${port}`;

const require = createRequire(import.meta.url);
const fastify = require('fastify');
const signAsync = promisify(sign);
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: randomBytes(12).toString('base64url') })).toString('base64url');

const app = fastify({ logger: false });
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
  done(null, new URLSearchParams(body));
});
app.post('/token', async (_request, reply) => {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: issuer, sub: clientId, aud: audience, exp: now + 600, iat: now, jti: randomUUID(), client_id: clientId, scope };
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = await signAsync('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  return { access_token: `${input}.${signature.toString('base64url')}`, token_type: 'Bearer', expires_in: 600, scope };
});

process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ msg: 'listening', port, issuer })}\n`);
