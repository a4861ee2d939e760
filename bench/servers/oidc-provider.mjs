// oidc-provider (panva, v9) configured for the client credentials grant with JWT access
// tokens signed ES256: the comparison server of bench/token.bench.ts, run as its own
// process so that it does not share an event loop with the load generator.
//
// Environment: PORT (required), BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, BENCH_AUDIENCE,
// BENCH_SCOPE. Prints one JSON line {"msg":"listening","port":N,...} on stdout when ready,
// exits 0 on SIGTERM. Its own notices (development-mode warnings, "unsupported runtime" on
// Node 20) go to stderr, which the benchmark keeps and shows only on failure.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('oidc-provider bench server: PORT is required\n');
  process.exit(2);
}
const clientId = process.env.BENCH_CLIENT_ID ?? 'bench';
const clientSecret = process.env.BENCH_CLIENT_SECRET;
if (!clientSecret || clientSecret.length < 32) {
  process.stderr.write('oidc-provider bench server: BENCH_CLIENT_SECRET (at least 32 characters) is required\n');
  process.exit(2);
}
const audience = process.env.BENCH_AUDIENCE ?? 'http://localhost:4200/api';
const scope = process.env.BENCH_SCOPE ?? 'demo:read';
const issuer = `http://127.0.0.1:${port}`;

const { default: Provider } = await import('oidc-provider');
const version = createRequire(import.meta.url)('oidc-provider/package.json').version;

// A fresh P-256 key, as auth-server generates its own at first start.
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(12).toString('base64url'), alg: 'ES256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256', // the only key is P-256 (the RS256 default would be refused)
      scope,
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope,
        audience,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 600,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  scopes: [scope],
});

let serverErrors = 0;
provider.on('server_error', (_ctx, error) => {
  serverErrors += 1;
  if (serverErrors <= 5) process.stderr.write(`oidc-provider server_error: ${error?.stack ?? error}\n`);
});

const server = createServer(provider.callback());
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port, issuer, version })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    if (serverErrors > 0) process.stderr.write(`oidc-provider: ${serverErrors} server errors\n`);
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 2_000).unref();
  });
}
