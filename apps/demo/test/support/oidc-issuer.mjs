// A real OpenID Provider for the demo's BFF tests: panva's oidc-provider (certified),
// run as its own process because it is ESM only. It registers the demo as a confidential
// client (client_secret_post, authorization_code + refresh_token, PKCE S256), issues
// RFC 9068 JWT access tokens for AUDIENCE, rotates refresh tokens, signs the test user in
// at once (no pages to drive) and reports what it did as JSON lines on stdout:
// {"msg":"listening",...} once, then {"event":...} per grant, rotation and revocation.
//
// Environment: REDIRECT_URI, CLIENT_SECRET (required); CLIENT_ID, AUDIENCE, ACCESS_TOKEN_TTL,
// POST_LOGOUT_REDIRECT_URI (RP-Initiated Logout, enabled by default in oidc-provider 9),
// ACCOUNT_API_URL (where `/account/*`, auth-server's account API, is forwarded: a test's stand-in).
import { createPublicKey, generateKeyPairSync, randomBytes, timingSafeEqual, verify } from 'node:crypto';
import { createServer } from 'node:http';

const redirectUri = process.env.REDIRECT_URI;
const clientSecret = process.env.CLIENT_SECRET;
if (!redirectUri || !clientSecret) {
  process.stderr.write('oidc-issuer: REDIRECT_URI and CLIENT_SECRET are required\n');
  process.exit(2);
}
const clientId = process.env.CLIENT_ID ?? 'demo-web';
const audience = process.env.AUDIENCE ?? 'http://localhost:4200/api';
const accessTokenTtl = Number(process.env.ACCESS_TOKEN_TTL ?? 600);
const postLogoutRedirectUri = process.env.POST_LOGOUT_REDIRECT_URI;
const accountApiUrl = process.env.ACCOUNT_API_URL;
const SCOPE = 'openid profile email offline_access demo:read';

const { default: Provider } = await import('oidc-provider');

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      ...(postLogoutRedirectUri ? { post_logout_redirect_uris: [postLogoutRedirectUri] } : {}),
      token_endpoint_auth_method: 'client_secret_post',
      scope: SCOPE,
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, email: `${sub}@example.com`, name: 'Alice Example' }) }),
  claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'demo:read'],
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  // A first-party client, as demo-web with skip_consent: refresh tokens without prompt=consent.
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  // As auth-server: every code starts a refresh-token family of its own, which lives until it
  // expires or is revoked, whatever becomes of the sign-in session. oidc-provider would reuse
  // one grant per sign-in session and client (revoking the old demo session's refresh token
  // would then revoke a new sign-in's tokens too), and, offline_access not being granted
  // without prompt=consent, bind refresh tokens to that session's current grant (a new
  // sign-in would silently void the old one, hiding whether the demo revokes it). So: a grant
  // per authorization (interact() grants each at once), and no session binding.
  loadExistingGrant: (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId;
    return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
  },
  expiresWithSession: () => false,
  rotateRefreshToken: () => true,
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'demo:read', audience, accessTokenFormat: 'jwt', accessTokenTTL: accessTokenTtl, jwt: { sign: { alg: 'RS256' } } }),
    },
  },
});

const report = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
provider.on('grant.success', (ctx) => report({ event: 'grant.success', grant_type: ctx.oidc.params.grant_type, refresh_token: ctx.body?.refresh_token }));
provider.on('grant.error', (_ctx, error) => report({ event: 'grant.error', error: error.error }));
provider.on('grant.revoked', () => report({ event: 'grant.revoked' }));
provider.on('refresh_token.consumed', () => report({ event: 'refresh_token.consumed' }));
provider.on('refresh_token.destroyed', () => report({ event: 'refresh_token.destroyed' }));
provider.on('revocation.error', (_ctx, error) => report({ event: 'revocation.error', error: error.error }));
provider.on('server_error', (_ctx, error) => process.stderr.write(`oidc-issuer server_error: ${error?.stack ?? error}\n`));

/** Signs the test user in and grants what the client asked for: the pages a user would click through. */
async function interact(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    return provider.interactionFinished(req, res, { login: { accountId: 'alice' } }, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  const missing = details.prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/**
 * RFC 7662 for the JWT access tokens: oidc-provider refuses to introspect structured tokens
 * (RFC 9068 tokens are meant to be verified locally), while auth-server answers for them and
 * the demo asks it when it has no shared revocation store. This stands in for that one
 * endpoint: client authentication (client_secret_post), signature and expiry.
 */
async function introspect(req, res) {
  let body = '';
  for await (const chunk of req) body += chunk;
  const form = new URLSearchParams(body);
  const secret = Buffer.from(form.get('client_secret') ?? '');
  res.setHeader('content-type', 'application/json');
  if (form.get('client_id') !== clientId || secret.length !== clientSecret.length || !timingSafeEqual(secret, Buffer.from(clientSecret))) {
    res.statusCode = 401;
    return res.end(JSON.stringify({ error: 'invalid_client' }));
  }
  const [header, payload, signature] = (form.get('token') ?? '').split('.');
  const valid = signature !== undefined && verify('sha256', Buffer.from(`${header}.${payload}`), createPublicKey(privateKey), Buffer.from(signature, 'base64url'));
  const claims = valid ? JSON.parse(Buffer.from(payload, 'base64url').toString()) : {};
  const active = valid && claims.exp > Date.now() / 1000;
  report({ event: 'introspection', active });
  res.end(JSON.stringify(active ? { ...claims, active } : { active: false }));
}

/**
 * Forwards a request of auth-server's account API (`/account/*`) to the test's stand-in, so
 * that the demo finds it under the issuer as it will in production. No answer there: 502.
 */
async function forwardToAccountApi(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const headers = {};
  for (const name of ['content-type', 'authorization', 'accept']) if (req.headers[name]) headers[name] = req.headers[name];
  try {
    const upstream = await fetch(new URL(req.url, accountApiUrl), { method: req.method, headers, body: req.method === 'GET' ? undefined : Buffer.concat(chunks), redirect: 'manual' });
    const body = Buffer.from(await upstream.arrayBuffer());
    res.statusCode = upstream.status;
    for (const name of ['content-type', 'cache-control', 'retry-after']) if (upstream.headers.has(name)) res.setHeader(name, upstream.headers.get(name));
    res.end(body);
  } catch {
    res.statusCode = 502;
    res.end();
  }
}

const callback = provider.callback();
server.on('request', (req, res) => {
  if (accountApiUrl && req.url.startsWith('/account/')) {
    forwardToAccountApi(req, res);
    return;
  }
  if (req.method === 'POST' && req.url === '/token/introspection') {
    introspect(req, res).catch(() => {
      res.statusCode = 500;
      res.end();
    });
    return;
  }
  if (req.url.startsWith('/interaction/')) {
    interact(req, res).catch((error) => {
      process.stderr.write(`oidc-issuer interaction failed: ${error?.stack ?? error}\n`);
      res.statusCode = 500;
      res.end();
    });
    return;
  }
  // libs/auth reads RFC 8414 metadata; oidc-provider serves the same document as OIDC discovery.
  if (req.url === '/.well-known/oauth-authorization-server') req.url = '/.well-known/openid-configuration';
  callback(req, res);
});
report({ msg: 'listening', issuer });

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 2_000).unref();
  });
}
