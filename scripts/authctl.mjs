#!/usr/bin/env node
// authctl: the admin CLI, a thin client of auth-server's /admin API.
//
//   npm run -s authctl -- <command> [options] [--json]
//
// Connection: AUTHCTL_URL (default http://localhost:3000), AUTHCTL_CLIENT_ID and
// AUTHCTL_CLIENT_SECRET (a client with the `admin` scope, e.g. `ops`). In development,
// when they are unset, DATA_DIR/dev-credentials.json (written by auth-server) supplies them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const USAGE = `usage: authctl <command> [options] [--json]

  client create --id ID [--grant-types a,b] [--scope "a b"] [--redirect-uris u1,u2]
                [--post-logout-redirect-uris u1,u2]
                [--auth-method client_secret_basic|client_secret_post|private_key_jwt|none]
                [--resources r1,r2] [--name NAME] [--jwks-uri URL] [--skip-consent]
                [--access-token-ttl S] [--metadata FILE.json]
  client list
  client show ID
  client rotate-secret ID [--grace SECONDS]
  client delete ID
  user create --email EMAIL --password PASSWORD [--roles a,b]
  user list
  user disable ID|EMAIL
  user set-password ID|EMAIL --password PASSWORD
  user sessions ID|EMAIL
  user revoke-sessions ID|EMAIL [SESSION_ID]
  user consents ID|EMAIL
  user revoke-consent ID|EMAIL CLIENT_ID
  user mfa ID|EMAIL
  user reset-mfa ID|EMAIL
  keys list
  keys rotate
  audit tail [--limit N] [--type T] [--user U]
  audit verify

Environment: AUTHCTL_URL, AUTHCTL_CLIENT_ID, AUTHCTL_CLIENT_SECRET.`;

class CliError extends Error {
  constructor(message, exitCode = 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

function parseArgs(argv) {
  const positional = [];
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const name = arg.slice(2);
      if (['json', 'skip-consent', 'help'].includes(name)) options[name] = true;
      else if (i + 1 < argv.length) options[name] = argv[++i];
      else throw new CliError(`--${name} needs a value`);
    } else positional.push(arg);
  }
  return { positional, options };
}

function connection() {
  let url = process.env.AUTHCTL_URL;
  let clientId = process.env.AUTHCTL_CLIENT_ID;
  let clientSecret = process.env.AUTHCTL_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    const file = resolve(process.env.DATA_DIR ?? '.data', 'dev-credentials.json');
    try {
      const dev = JSON.parse(readFileSync(file, 'utf8')).authctl;
      url ??= dev.AUTHCTL_URL;
      clientId ??= dev.AUTHCTL_CLIENT_ID;
      clientSecret ??= dev.AUTHCTL_CLIENT_SECRET;
    } catch {
      throw new CliError('set AUTHCTL_CLIENT_ID and AUTHCTL_CLIENT_SECRET (a client with the admin scope)');
    }
  }
  return { url: (url ?? 'http://localhost:3000').replace(/\/$/, ''), clientId, clientSecret };
}

async function accessToken(conn) {
  const discovery = await request(`${conn.url}/.well-known/oauth-authorization-server`);
  const basic = Buffer.from(`${encodeURIComponent(conn.clientId)}:${encodeURIComponent(conn.clientSecret)}`).toString('base64');
  const token = await request(discovery.token_endpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }).toString(),
  });
  return token.access_token;
}

async function request(url, init = {}) {
  let response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new CliError(`cannot reach ${new URL(url).origin} (${error.cause?.code ?? error.name})`, 1);
  }
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const code = body?.error ?? `http_${response.status}`;
    throw new CliError(`${code}${body?.error_description ? `: ${body.error_description}` : ''}`, 1);
  }
  return body;
}

function list(value) {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean);
}

function clientMetadata(options) {
  const fromFile = options.metadata ? JSON.parse(readFileSync(options.metadata, 'utf8')) : {};
  const metadata = {
    ...fromFile,
    ...(options.id ? { client_id: options.id } : {}),
    ...(options.name ? { client_name: options.name } : {}),
    ...(options['grant-types'] ? { grant_types: list(options['grant-types']) } : {}),
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
    ...(options['redirect-uris'] ? { redirect_uris: list(options['redirect-uris']) } : {}),
    ...(options['post-logout-redirect-uris'] ? { post_logout_redirect_uris: list(options['post-logout-redirect-uris']) } : {}),
    ...(options['auth-method'] ? { token_endpoint_auth_method: options['auth-method'] } : {}),
    ...(options.resources ? { resources: list(options.resources) } : {}),
    ...(options['jwks-uri'] ? { jwks_uri: options['jwks-uri'] } : {}),
    ...(options['skip-consent'] ? { skip_consent: true } : {}),
    ...(options['access-token-ttl'] ? { access_token_ttl: Number(options['access-token-ttl']) } : {}),
  };
  metadata.grant_types ??= ['client_credentials'];
  return metadata;
}

async function run(argv) {
  const { positional, options } = parseArgs(argv);
  const [group, action, id, second] = positional;
  if (!group || options.help) throw new CliError(USAGE, options.help ? 0 : 2);
  const conn = connection();
  const token = await accessToken(conn);
  const admin = (path, init = {}) =>
    request(`${conn.url}/admin${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
  const need = (value, what) => {
    if (!value) throw new CliError(`${group} ${action} needs ${what}\n\n${USAGE}`);
    return encodeURIComponent(value);
  };

  switch (`${group} ${action}`) {
    case 'client create':
      return admin('/clients', { method: 'POST', body: JSON.stringify(clientMetadata(options)) });
    case 'client list':
      return admin('/clients');
    case 'client show':
      return admin(`/clients/${need(id, 'a client id')}`);
    case 'client rotate-secret':
      return admin(`/clients/${need(id, 'a client id')}/rotate-secret`, {
        method: 'POST',
        body: JSON.stringify({ grace_seconds: Number(options.grace ?? 0) }),
      });
    case 'client delete':
      await admin(`/clients/${need(id, 'a client id')}`, { method: 'DELETE' });
      return { deleted: id };
    case 'user create':
      return admin('/users', {
        method: 'POST',
        body: JSON.stringify({ email: options.email, password: options.password, roles: list(options.roles) ?? [] }),
      });
    case 'user list':
      return admin('/users');
    case 'user disable':
      return admin(`/users/${need(id, 'a user id or email')}/disable`, { method: 'POST' });
    case 'user set-password':
      return admin(`/users/${need(id, 'a user id or email')}/password`, {
        method: 'POST',
        body: JSON.stringify({ password: options.password }),
      });
    case 'user sessions':
      return admin(`/users/${need(id, 'a user id or email')}/sessions`);
    case 'user revoke-sessions':
      if (second) {
        await admin(`/users/${need(id, 'a user id or email')}/sessions/${encodeURIComponent(second)}`, { method: 'DELETE' });
        return { revoked: 1, session: second };
      }
      return admin(`/users/${need(id, 'a user id or email')}/sessions`, { method: 'DELETE' });
    case 'user consents':
      return admin(`/users/${need(id, 'a user id or email')}/consents`);
    case 'user mfa':
      return admin(`/users/${need(id, 'a user id or email')}/mfa`);
    case 'user reset-mfa':
      return admin(`/users/${need(id, 'a user id or email')}/mfa`, { method: 'DELETE' });
    case 'user revoke-consent': {
      const user = need(id, 'a user id or email');
      await admin(`/users/${user}/consents/${need(second, 'a client id')}`, { method: 'DELETE' });
      return { revoked: second };
    }
    case 'keys list':
      return admin('/keys');
    case 'keys rotate':
      return admin('/keys/rotate', { method: 'POST' });
    case 'audit tail': {
      const query = new URLSearchParams();
      query.set('limit', options.limit ?? '20');
      if (options.type) query.set('type', options.type);
      if (options.user) query.set('user', options.user);
      return (await admin(`/audit?${query}`)).events;
    }
    case 'audit verify':
      return admin('/audit/verify', { method: 'POST' });
    default:
      throw new CliError(`unknown command: ${positional.join(' ')}\n\n${USAGE}`);
  }
}

function printHuman(command, result) {
  if (Array.isArray(result)) {
    if (result.length === 0) return console.log('(none)');
    for (const item of result) console.log(summary(item));
    return;
  }
  if (command === 'audit verify') {
    console.log(result.ok ? `ok: ${result.events} events verify` : `FAILED at ${result.first_bad_id ?? 'the end of the chain'} (${result.reason}); ${result.events} events read`);
    return;
  }
  console.log(JSON.stringify(result, null, 2));
  if (result?.client_secret) console.error('\nThe client secret is shown only this once. Store it now.');
}

function summary(item) {
  if (item.last_seen_at) return `${item.id}\t${item.created_at}\t${item.last_seen_at}\t${item.amr.join(',')}\t${item.ip ?? '-'}\t${item.user_agent ?? '-'}`;
  if (item.granted_at) return `${item.client_id}\t${item.scope}\t${item.granted_at}`;
  if (item.client_id) return `${item.client_id}\t${item.token_endpoint_auth_method}\t${item.grant_types.join(',')}\t${item.scope}`;
  if (item.email) return `${item.id}\t${item.email}\t${item.roles.join(',')}\t${item.disabled ? 'disabled' : 'active'}`;
  if (item.kid) return `${item.kid}\t${item.alg}\t${item.status}\t${item.created_at}`;
  if (item.type && item.occurredAt) return `${item.occurredAt}\t${item.type}\t${item.outcome}\t${item.actor ? `${item.actor.type}:${item.actor.id}` : '-'}`;
  return JSON.stringify(item);
}

const argv = process.argv.slice(2);
const json = argv.includes('--json');
run(argv).then(
  (result) => {
    const command = argv.filter((a) => !a.startsWith('--')).slice(0, 2).join(' ');
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else printHuman(command, result);
    process.exit(command === 'audit verify' && result && result.ok === false ? 1 : 0);
  },
  (error) => {
    if (json) process.stdout.write(`${JSON.stringify({ error: error.message.split('\n')[0] })}\n`);
    else console.error(error instanceof CliError ? error.message : `authctl: ${error.message}`);
    process.exit(error.exitCode ?? 1);
  },
);
