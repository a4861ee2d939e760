import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { TotpService } from '@authkit/mfa';

/**
 * An HTTP stand-in for auth-server's account API (`<issuer>/account/...`), for the demo's
 * tests until and besides the real one: the documented endpoints, errors and shapes, with
 * client authentication (client_secret_post or client_secret_basic) and the user's access
 * token checked at the test issuer's introspection endpoint (signature, expiry, and that it
 * was issued to the demo). The test issuer forwards `/account/*` here.
 */
export interface FakeAccountApi {
  /** Base URL of this server (the issuer proxies to it). */
  readonly url: string;
  /** Every call received, in order. */
  readonly calls: AccountCall[];
  /** When set, every call gets this answer instead (e.g. 429 or 503), until set back to undefined. */
  override: FakeAnswer | undefined;
  /** When true, connections are dropped without an answer: the account API is down. */
  down: boolean;
  /** The TOTP arithmetic the fake verifies with (tests compute codes with it). */
  readonly totp: TotpService;
  /** Where to check tokens, and the demo's credentials; set once the issuer runs. */
  connect(issuer: string, clientId: string, clientSecret: string): void;
  /** The account of `sub`, created on first use. */
  account(sub: string): FakeAccount;
  /**
   * Signs `sub` in with a recovery code, as auth-server's `Use a recovery code` page would:
   * true (and the code is used up) for one of the current codes, typed in any case with or
   * without dashes; false for anything else, a used or replaced code among them.
   */
  useRecoveryCode(sub: string, code: string): boolean;
  /** Refuses every access token received so far with 401 `invalid_token` (as if revoked). */
  rejectTokensSeen(): void;
  /**
   * Counts the sign-ins behind every access token received so far as older than
   * {@link RECENT_SIGN_IN_MAX_AGE} seconds: starting a set-up (`/account/mfa/totp`) with one of
   * those tokens is refused with 401 `insufficient_user_authentication` (RFC 9470), as
   * auth-server refuses a token whose `auth_time` is that old. Tokens first seen later (of a
   * new sign-in) are recent; the other endpoints take every live token.
   */
  ageSignInsSeen(): void;
  /** Forgets every account, call, refused token and override: a clean start for the next test. */
  reset(): void;
  close(): Promise<void>;
}

/** One call of the account API as the fake received it. */
export interface AccountCall {
  readonly path: string;
  /** How the client authenticated: form members, Basic header, or not at all. */
  readonly clientAuth: 'client_secret_post' | 'client_secret_basic' | 'none';
  readonly token: string | undefined;
  readonly fields: Readonly<Record<string, string>>;
  readonly status: number;
}

/** A canned answer. */
export interface FakeAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the fake keeps per user. */
export interface FakeAccount {
  enabled: boolean;
  /** The pending enrollment's secret, or the active one once enabled. */
  secret: string | undefined;
  pending: boolean;
  lastUsedStep: number | null;
  recoveryCodes: string[];
  /** Oldest first; answered newest first. */
  readonly events: { id: string; time: string; type: string; outcome: string }[];
}

/** How recent a sign-in must be to start a set-up at auth-server, in seconds (OWASP ASVS 5.0 V7.5.1). */
export const RECENT_SIGN_IN_MAX_AGE = 900;

/** Text no page or log of the demo may repeat (auth-server's descriptions are not for users). */
export const FAKE_ERROR_DESCRIPTION = 'fake-description-<b>do not show</b>';

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeAccountApi(): Promise<FakeAccountApi> {
  const accounts = new Map<string, FakeAccount>();
  const rejected = new Set<string>();
  const seen = new Set<string>();
  /** Tokens whose sign-in counts as too old to start a set-up. */
  const aged = new Set<string>();
  const calls: AccountCall[] = [];
  const totp = new TotpService({ issuer: 'AuthKit test' });
  let link: { issuer: string; clientId: string; clientSecret: string } | undefined;

  const account = (sub: string): FakeAccount => {
    let found = accounts.get(sub);
    if (!found) accounts.set(sub, (found = { enabled: false, secret: undefined, pending: false, lastUsedStep: null, recoveryCodes: [], events: [] }));
    return found;
  };
  const record = (user: FakeAccount, type: string, outcome: 'success' | 'failure') =>
    user.events.push({ id: randomUUID(), time: new Date().toISOString(), type, outcome });
  const status = (user: FakeAccount) => ({ totp: { enabled: user.enabled, pending: user.pending }, recovery_codes_remaining: user.recoveryCodes.length });

  /** The client's authentication, exactly as auth-server's token endpoint checks it. */
  function clientAuthOf(request: IncomingMessage, form: URLSearchParams): AccountCall['clientAuth'] | undefined {
    if (!link) return undefined;
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(request.headers.authorization ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64').toString().split(':').map(decodeURIComponent);
      return id === link.clientId && sameSecret(secret, link.clientSecret) && !form.has('client_secret') ? 'client_secret_basic' : undefined;
    }
    return form.getAll('client_id').length === 1 && form.get('client_id') === link.clientId && sameSecret(form.get('client_secret'), link.clientSecret) ? 'client_secret_post' : undefined;
  }

  /** The token's subject when it is a live access token issued to the demo. */
  async function subjectOf(token: string | null): Promise<string | undefined> {
    if (!token || !link || rejected.has(token)) return undefined;
    const response = await fetch(`${link.issuer}/token/introspection`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: link.clientId, client_secret: link.clientSecret }).toString(),
    });
    const claims = (await response.json()) as { active?: boolean; sub?: string; client_id?: string };
    return claims.active && claims.client_id === link.clientId ? claims.sub : undefined;
  }

  async function answer(path: string, form: URLSearchParams, sub: string): Promise<FakeAnswer> {
    const user = account(sub);
    const code = form.get('code') ?? '';
    const error = (status: number, error: string): FakeAnswer => ({ status, body: { error, error_description: FAKE_ERROR_DESCRIPTION } });
    switch (path) {
      case '/account/mfa':
        return { status: 200, body: status(user) };
      case '/account/mfa/totp':
        if (aged.has(form.get('token') ?? '')) {
          return { status: 401, body: { error: 'insufficient_user_authentication', error_description: FAKE_ERROR_DESCRIPTION, max_age: RECENT_SIGN_IN_MAX_AGE } };
        }
        if (user.enabled) return error(409, 'mfa_already_enabled');
        user.secret = totp.generateSecret();
        user.pending = true;
        record(user, 'mfa.totp.enrollment_started', 'success');
        return { status: 200, body: { secret: user.secret, otpauth_uri: totp.keyUri(`${sub}@example.com`, user.secret) } };
      case '/account/mfa/totp/confirm': {
        if (!user.pending || !user.secret) return error(409, 'enrollment_not_started');
        const step = await totp.verify(code, user.secret, user.lastUsedStep);
        if (step === null) {
          record(user, 'mfa.totp.confirm', 'failure');
          return error(400, 'invalid_code');
        }
        Object.assign(user, { enabled: true, pending: false, lastUsedStep: step });
        user.recoveryCodes = Array.from({ length: 10 }, recoveryCode);
        record(user, 'mfa.totp.enabled', 'success');
        return { status: 200, body: { recovery_codes: user.recoveryCodes } };
      }
      case '/account/mfa/totp/disable': {
        if (!user.enabled || !user.secret) return error(409, 'mfa_not_enabled');
        const step = await totp.verify(code, user.secret, user.lastUsedStep);
        if (step === null) {
          record(user, 'mfa.totp.disable', 'failure');
          return error(400, 'invalid_code');
        }
        Object.assign(user, { enabled: false, pending: false, secret: undefined, lastUsedStep: null, recoveryCodes: [] });
        record(user, 'mfa.totp.disabled', 'success');
        return { status: 200, body: status(user) };
      }
      case '/account/mfa/recovery-codes': {
        if (!user.enabled || !user.secret) return error(409, 'mfa_not_enabled');
        const step = await totp.verify(code, user.secret, user.lastUsedStep);
        if (step === null) {
          record(user, 'mfa.recovery_codes.regenerate', 'failure');
          return error(400, 'invalid_code');
        }
        user.lastUsedStep = step;
        user.recoveryCodes = Array.from({ length: 10 }, recoveryCode);
        record(user, 'mfa.recovery_codes.regenerated', 'success');
        return { status: 200, body: { recovery_codes: user.recoveryCodes } };
      }
      case '/account/events': {
        const limit = form.has('limit') ? Number(form.get('limit')) : 20;
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) return error(400, 'invalid_request');
        return { status: 200, body: { events: [...user.events].reverse().slice(0, limit) } };
      }
      default:
        return error(404, 'not_found');
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (api.down) return void request.socket.destroy();
    let body = '';
    for await (const chunk of request) body += String(chunk);
    const form = new URLSearchParams(body);
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    const clientAuth = clientAuthOf(request, form);
    const token = form.get('token');
    let result: FakeAnswer;
    if (api.override) result = api.override;
    else if (request.method !== 'POST' || !/^application\/x-www-form-urlencoded\b/.test(request.headers['content-type'] ?? '')) result = { status: 400, body: { error: 'invalid_request' } };
    else if (!clientAuth) result = { status: 401, body: { error: 'invalid_client', error_description: FAKE_ERROR_DESCRIPTION } };
    else {
      if (token) seen.add(token);
      const sub = await subjectOf(token);
      result = sub === undefined ? { status: 401, body: { error: 'invalid_token', error_description: FAKE_ERROR_DESCRIPTION } } : await answer(path, form, sub);
    }
    const fields = Object.fromEntries([...form].filter(([name]) => name !== 'token' && name !== 'client_secret'));
    calls.push({ path, clientAuth: clientAuth ?? 'none', token: token ?? undefined, fields, status: result.status });
    response.writeHead(result.status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...result.headers });
    response.end(result.body === undefined ? '' : typeof result.body === 'string' ? result.body : JSON.stringify(result.body));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      response.statusCode = 500;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api: FakeAccountApi = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    calls,
    override: undefined,
    down: false,
    totp,
    connect(issuer, clientId, clientSecret) {
      link = { issuer, clientId, clientSecret };
    },
    account,
    useRecoveryCode(sub, code) {
      const user = account(sub);
      const typed = normalizedRecoveryCode(code);
      const index = user.recoveryCodes.findIndex((c) => normalizedRecoveryCode(c) === typed);
      if (!user.enabled || index < 0) return false;
      user.recoveryCodes.splice(index, 1);
      record(user, 'mfa.recovery_code.used', 'success');
      return true;
    },
    rejectTokensSeen() {
      for (const token of seen) rejected.add(token);
    },
    ageSignInsSeen() {
      for (const token of seen) aged.add(token);
    },
    reset() {
      accounts.clear();
      rejected.clear();
      seen.clear();
      aged.clear();
      calls.length = 0;
      api.override = undefined;
      api.down = false;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return api;
}

function sameSecret(given: string | null | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function recoveryCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const chars = [...randomBytes(16)].map((byte) => alphabet[byte % alphabet.length]).join('');
  return chars.match(/.{4}/g)!.join('-');
}

function normalizedRecoveryCode(code: string): string {
  return code.replace(/-/g, '').toUpperCase();
}
