import { randomUUID } from 'node:crypto';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { AuditQueryService, AuditService, type AuditEvent } from '@authkit/audit';
import { describeEachDatabase, findSecrets } from '@authkit/testing';
import { ClientService } from '../src/app/clients/client.service';
import { ConsentService } from '../src/app/consents/consent.service';
import { hashOpaqueToken } from '../src/app/crypto/opaque-token';
import { RevocationList } from '../src/app/oauth/revocation-list';
import { RefreshTokenService } from '../src/app/refresh/refresh-token.service';
import { SESSION_TOUCH_INTERVAL_MS } from '../src/app/sessions/session.service';
import { SessionRequiredError } from '../src/app/sessions/session-errors';
import { sessionStoreKinds, startSessionServer, TEST_SESSION_ABSOLUTE_S, TEST_SESSION_IDLE_S, type AuthctlRun, type SessionServer } from './sessions.fixture';

const SYSTEM = { type: 'system', id: 'test' } as const;
const ORIGIN = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)' };
const TOUCH_S = SESSION_TOUCH_INTERVAL_MS / 1000;

/** The single JSON document that `--json` promises on stdout. */
function jsonOutput(run: AuthctlRun): unknown {
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(run.stdout);
}

describeEachDatabase('sign-in sessions and remembered consent', (database) => {
  describe.each(sessionStoreKinds())('sessions on the %s store', (kind) => {
    let kit: SessionServer;
    const cookies: string[] = [];
    /** Starts a session and remembers its cookie for the secret scan at the end. */
    const start = async (userId: string, amr: string[] = ['pwd'], previous?: string) => {
      const started = await kit.sessions.start(userId, amr, ORIGIN, previous);
      cookies.push(started.cookieValue);
      return started;
    };

    beforeAll(async () => {
      kit = await startSessionServer(database(), kind);
    });
    afterEach(() => kit.resetClock());
    afterAll(() => kit?.close());

    it('starts a session behind an opaque 256-bit cookie and stores only its hash', async () => {
      const userId = await kit.user(`start-${kind}@example.com`);
      const { cookieValue, session } = await start(userId, ['pwd'], undefined);
      expect(cookieValue).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(session).toMatchObject({ userId, amr: ['pwd'], ip: ORIGIN.ip, userAgent: ORIGIN.userAgent });
      expect(Math.abs(session.authTime - Date.now() / 1000)).toBeLessThan(5);
      expect(session.absoluteExpiresAt.getTime() - session.createdAt.getTime()).toBe(TEST_SESSION_ABSOLUTE_S * 1000);
      expect(session.idleExpiresAt.getTime() - session.createdAt.getTime()).toBe(TEST_SESSION_IDLE_S * 1000);

      const resolved = await kit.sessions.resolve(cookieValue);
      expect(resolved).toMatchObject({ id: session.id, userId, amr: ['pwd'], authTime: session.authTime });

      const hash = hashOpaqueToken(cookieValue);
      if (kind === 'postgres') {
        const rows = (await kit.server.app.get<DataSource>(getDataSourceToken()).query('SELECT token_hash FROM user_sessions WHERE id = $1', [session.id])) as { token_hash: string }[];
        expect(rows).toEqual([{ token_hash: hash }]);
      } else {
        const redis = new Redis(process.env['REDIS_URL']!);
        try {
          const stored = await redis.get(`authkit:session:${hash}`);
          expect(stored).toContain(session.id);
          expect(stored).not.toContain(cookieValue);
          expect(await redis.pttl(`authkit:session:${hash}`)).toBeGreaterThan(0);
        } finally {
          redis.disconnect();
        }
      }
    });

    it('truncates the user agent to 256 characters', async () => {
      const userId = await kit.user(`agent-${kind}@example.com`);
      const started = await kit.sessions.start(userId, ['pwd'], { userAgent: 'x'.repeat(1_000) });
      cookies.push(started.cookieValue);
      expect((await kit.sessions.resolve(started.cookieValue))?.userAgent).toHaveLength(256);
    });

    it('gives a fresh id and cookie on every start and elevation, and the old cookie dies', async () => {
      const userId = await kit.user(`rotate-${kind}@example.com`);
      const first = await start(userId);
      const second = await start(userId, ['pwd'], first.cookieValue);
      expect(second.session.id).not.toBe(first.session.id);
      expect(second.cookieValue).not.toBe(first.cookieValue);
      expect(await kit.sessions.resolve(first.cookieValue)).toBeUndefined();

      kit.advance(30);
      const elevated = await kit.sessions.elevate(second.cookieValue, ['pwd', 'otp']);
      cookies.push(elevated.cookieValue);
      expect(elevated.session.id).not.toBe(second.session.id);
      expect(elevated.cookieValue).not.toBe(second.cookieValue);
      expect(elevated.session).toMatchObject({ userId, amr: ['pwd', 'otp'], ip: ORIGIN.ip, userAgent: ORIGIN.userAgent });
      expect(elevated.session.authTime).toBeGreaterThanOrEqual(second.session.authTime + 30);
      expect(await kit.sessions.resolve(second.cookieValue)).toBeUndefined();
      expect(await kit.sessions.resolve(elevated.cookieValue)).toMatchObject({ id: elevated.session.id, amr: ['pwd', 'otp'] });
      await expect(kit.sessions.elevate(second.cookieValue, ['pwd', 'otp'])).rejects.toBeInstanceOf(SessionRequiredError);
      await expect(kit.sessions.elevate('not-a-session', ['pwd'])).rejects.toMatchObject({ code: 'login_required' });
      expect((await kit.sessions.listForUser(userId)).map((s) => s.id)).toEqual([elevated.session.id]);
    });

    it('ends a session on sign-out and ignores values that name none', async () => {
      const userId = await kit.user(`end-${kind}@example.com`);
      const { cookieValue } = await start(userId);
      await kit.sessions.end(undefined);
      await kit.sessions.end('garbage');
      expect(await kit.sessions.resolve(cookieValue)).toBeDefined();
      await kit.sessions.end(cookieValue);
      expect(await kit.sessions.resolve(cookieValue)).toBeUndefined();
      expect(await kit.sessions.listForUser(userId)).toEqual([]);
    });

    it('expires after the idle timeout, which use slides (written at most once a minute)', async () => {
      const userId = await kit.user(`idle-${kind}@example.com`);
      const { cookieValue, session } = await start(userId);

      kit.advance(TOUCH_S / 2);
      expect((await kit.sessions.resolve(cookieValue))?.lastSeenAt).toEqual(session.lastSeenAt); // too soon to write

      kit.advance(TEST_SESSION_IDLE_S - TOUCH_S / 2 - 1); // one second before the idle expiry
      const slid = await kit.sessions.resolve(cookieValue);
      expect(slid!.lastSeenAt.getTime()).toBeGreaterThan(session.lastSeenAt.getTime());
      expect(slid!.idleExpiresAt.getTime()).toBe(slid!.lastSeenAt.getTime() + TEST_SESSION_IDLE_S * 1000);

      kit.advance(TEST_SESSION_IDLE_S - 1); // still within the slid window
      expect(await kit.sessions.resolve(cookieValue)).toBeDefined();
      kit.advance(TEST_SESSION_IDLE_S + 1); // idle past it
      expect(await kit.sessions.resolve(cookieValue)).toBeUndefined();
      expect(await kit.sessions.listForUser(userId)).toEqual([]);
    });

    it('expires at the absolute timeout however busy, and never slides past it', async () => {
      const userId = await kit.user(`absolute-${kind}@example.com`);
      const { cookieValue, session } = await start(userId);
      const step = TEST_SESSION_IDLE_S - 60;
      let elapsed = 0;
      while (elapsed + step < TEST_SESSION_ABSOLUTE_S) {
        kit.advance(step);
        elapsed += step;
        const resolved = await kit.sessions.resolve(cookieValue);
        expect(resolved).toBeDefined();
        expect(resolved!.idleExpiresAt.getTime()).toBeLessThanOrEqual(session.absoluteExpiresAt.getTime());
      }
      kit.advance(TEST_SESSION_ABSOLUTE_S - elapsed - 1);
      expect((await kit.sessions.resolve(cookieValue))?.idleExpiresAt).toEqual(session.absoluteExpiresAt);
      kit.advance(2);
      expect(await kit.sessions.resolve(cookieValue)).toBeUndefined();
    });

    it("lists and revokes one user's sessions, newest first, leaving another user's untouched", async () => {
      const alice = await kit.user(`list-alice-${kind}@example.com`);
      const bob = await kit.user(`list-bob-${kind}@example.com`);
      const older = await start(alice);
      kit.advance(1);
      const newer = await start(alice);
      const bobs = await start(bob);

      expect((await kit.sessions.listForUser(alice)).map((s) => s.id)).toEqual([newer.session.id, older.session.id]);
      expect(await kit.sessions.revoke(alice, bobs.session.id)).toBe(false);
      expect(await kit.sessions.revoke(alice, 'not-a-uuid')).toBe(false);
      expect(await kit.sessions.revoke(alice, older.session.id)).toBe(true);
      expect(await kit.sessions.revoke(alice, older.session.id)).toBe(false);
      expect(await kit.sessions.resolve(older.cookieValue)).toBeUndefined();
      expect(await kit.sessions.resolve(newer.cookieValue)).toBeDefined();

      expect(await kit.sessions.revokeAllForUser(alice)).toBe(1);
      expect(await kit.sessions.resolve(newer.cookieValue)).toBeUndefined();
      expect(await kit.sessions.revokeAllForUser(alice)).toBe(0);
      expect(await kit.sessions.resolve(bobs.cookieValue)).toMatchObject({ id: bobs.session.id });
      expect((await kit.sessions.listForUser(bob)).map((s) => s.id)).toEqual([bobs.session.id]);
    });

    it('ends every session when the user is disabled or the password changes (ASVS 5.0 V7.4.3)', async () => {
      const carol = await kit.user(`hooks-carol-${kind}@example.com`);
      const dave = await kit.user(`hooks-dave-${kind}@example.com`);
      const carols = [await start(carol), await start(carol)];
      const daves = await start(dave);
      await kit.users.setPassword(carol, 'a-brand-new-password', SYSTEM);
      for (const s of carols) expect(await kit.sessions.resolve(s.cookieValue)).toBeUndefined();
      expect(await kit.sessions.resolve(daves.cookieValue)).toBeDefined();

      await kit.users.setDisabled(dave, true, SYSTEM);
      expect(await kit.sessions.resolve(daves.cookieValue)).toBeUndefined();

      await kit.server.app.get(AuditService).flush();
      const { events } = await kit.server.app.get(AuditQueryService).find({ type: 'session.revoked', userId: carol });
      expect(events).toEqual([expect.objectContaining({ actor: SYSTEM, subject: { type: 'user', id: carol }, details: expect.objectContaining({ count: 2, reason: 'password.changed' }) })]);
    });

    it('serves the admin API: list, revoke one (404 when none), revoke all; never a cookie or hash', async () => {
      const email = `admin-erin-${kind}@example.com`;
      const erin = await kit.user(email);
      const frank = await kit.user(`admin-frank-${kind}@example.com`);
      const one = await start(erin);
      const two = await start(erin);
      const franks = await start(frank);

      const listed = await kit.admin(`/users/${encodeURIComponent(email)}/sessions`);
      expect(listed.status).toBe(200);
      expect((listed.body as { id: string }[]).map((s) => s.id).sort()).toEqual([one.session.id, two.session.id].sort());
      expect(listed.body).toEqual(
        expect.arrayContaining([
          { id: one.session.id, user_id: erin, auth_time: one.session.authTime, amr: ['pwd'], created_at: expect.any(String), last_seen_at: expect.any(String),
            idle_expires_at: expect.any(String), absolute_expires_at: expect.any(String), ip: ORIGIN.ip, user_agent: ORIGIN.userAgent },
        ]),
      );
      expect(findSecrets(listed.text, [one.cookieValue, two.cookieValue, hashOpaqueToken(one.cookieValue), hashOpaqueToken(two.cookieValue)])).toEqual([]);

      expect((await kit.admin(`/users/${erin}/sessions/${one.session.id}`, { method: 'DELETE' })).status).toBe(204);
      expect(await kit.sessions.resolve(one.cookieValue)).toBeUndefined();
      expect(await kit.admin(`/users/${erin}/sessions/${one.session.id}`, { method: 'DELETE' })).toMatchObject({ status: 404, body: { error: 'not_found' } });
      // Another user's session id under this user: not found, and left alone (IDOR, CWE-639).
      expect(await kit.admin(`/users/${erin}/sessions/${franks.session.id}`, { method: 'DELETE' })).toMatchObject({ status: 404, body: { error: 'not_found' } });
      expect(await kit.admin(`/users/${erin}/sessions/not-a-uuid`, { method: 'DELETE' })).toMatchObject({ status: 404, body: { error: 'not_found' } });
      expect(await kit.sessions.resolve(franks.cookieValue)).toBeDefined();

      expect(await kit.admin(`/users/${erin}/sessions`, { method: 'DELETE' })).toMatchObject({ status: 200, body: { revoked: 1 } });
      expect(await kit.sessions.resolve(two.cookieValue)).toBeUndefined();
      expect(await kit.admin('/users/nobody@example.com/sessions')).toMatchObject({ status: 404, body: { error: 'not_found' } });
      expect(await kit.admin(`/users/${erin}/sessions`, { token: null })).toMatchObject({ status: 401, body: { error: 'invalid_token' } });

      await kit.server.app.get(AuditService).flush();
      const { events } = await kit.server.app.get(AuditQueryService).find({ type: 'session.revoked', userId: erin });
      expect(events.map((e: AuditEvent) => e.actor)).toEqual([{ type: 'client', id: `ops-${kind}` }, { type: 'client', id: `ops-${kind}` }]);
    });

    it('records session events and never writes a cookie value or its hash to logs or audit rows', async () => {
      await kit.server.app.get(AuditService).flush();
      const query = kit.server.app.get(AuditQueryService);
      const events: AuditEvent[] = [];
      for (const type of ['session.created', 'session.ended', 'session.revoked'] as const) {
        const page = await query.find({ type, limit: 500 });
        expect(page.events.length).toBeGreaterThan(0);
        events.push(...page.events);
      }
      expect(events.find((e) => e.type === 'session.ended')?.details).toMatchObject({ session: expect.any(String), reason: expect.any(String) });
      const planted = [...cookies, ...cookies.map(hashOpaqueToken)];
      expect(cookies.length).toBeGreaterThan(10);
      expect(findSecrets(JSON.stringify(events), planted)).toEqual([]);
      expect(findSecrets(kit.server.logs.text(), planted)).toEqual([]);
    });
  });

  describe('remembered consent, and authctl', () => {
    let kit: SessionServer;
    let consents: ConsentService;
    let dataSource: DataSource;
    const issueRefresh = (userId: string, clientId: string) =>
      kit.server.app.get(RefreshTokenService).issue({ clientId, userId, scope: ['openid', 'offline_access'], authTime: Math.floor(Date.now() / 1000), amr: ['pwd'] }, { idle: 3_600, absolute: 86_400 }, { jti: randomUUID(), expiresAt: Math.floor(Date.now() / 1000) + 600 });
    const liveRefresh = async (userId: string, clientId: string) =>
      Number(
        ((await dataSource.query('SELECT count(*) AS n FROM refresh_tokens WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL', [userId, clientId])) as { n: string }[])[0]!.n,
      );

    beforeAll(async () => {
      kit = await startSessionServer(database(), 'postgres', 'consents');
      consents = kit.server.app.get(ConsentService);
      dataSource = kit.server.app.get<DataSource>(getDataSourceToken());
      for (const clientId of ['app-one', 'app-two']) {
        await kit.server.app.get(ClientService).create({ client_id: clientId, grant_types: ['client_credentials'], scope: 'openid profile email' }, SYSTEM);
      }
    });
    afterAll(() => kit?.close());

    it('covers only what was granted, unions later grants, and revoking it revokes that client\'s refresh tokens', async () => {
      const grace = await kit.user('consent-grace@example.com');
      const heidi = await kit.user('consent-heidi@example.com');
      expect(await consents.covers(grace, 'app-one', [])).toBe(false);
      await consents.grant(grace, 'app-one', ['openid', 'profile']);
      expect(await consents.covers(grace, 'app-one', ['openid'])).toBe(true);
      expect(await consents.covers(grace, 'app-one', ['openid', 'profile'])).toBe(true);
      expect(await consents.covers(grace, 'app-one', ['openid', 'email'])).toBe(false);
      expect(await consents.covers(grace, 'app-two', ['openid'])).toBe(false);
      expect(await consents.covers(heidi, 'app-one', ['openid'])).toBe(false);

      await consents.grant(grace, 'app-one', ['email', 'openid']);
      expect(await consents.covers(grace, 'app-one', ['openid', 'profile', 'email'])).toBe(true);
      await consents.grant(grace, 'app-two', ['openid']);
      expect(await consents.list(grace)).toEqual([
        { client_id: 'app-one', scope: 'email openid profile', granted_at: expect.any(String), updated_at: expect.any(String) },
        { client_id: 'app-two', scope: 'openid', granted_at: expect.any(String), updated_at: expect.any(String) },
      ]);
      await expect(consents.grant(grace, 'no-such-client', ['openid'])).rejects.toMatchObject({ code: 'not_found' });

      await issueRefresh(grace, 'app-one');
      await issueRefresh(grace, 'app-one');
      await issueRefresh(grace, 'app-two');
      await issueRefresh(heidi, 'app-one');
      const companions = (await dataSource.query('SELECT access_jti FROM refresh_tokens WHERE user_id = $1 AND client_id = $2', [grace, 'app-one'])) as {
        access_jti: string;
      }[];
      expect(companions).toHaveLength(2);
      expect(await consents.revoke(grace, 'app-one')).toBe(true);
      // RFC 7009 s2.1: the access tokens issued with those refresh tokens are revoked too.
      for (const { access_jti } of companions) expect(await kit.server.app.get(RevocationList).isRevoked(access_jti)).toBe(true);
      expect(await liveRefresh(grace, 'app-one')).toBe(0);
      expect(await liveRefresh(grace, 'app-two')).toBe(1);
      expect(await liveRefresh(heidi, 'app-one')).toBe(1);
      expect(await consents.covers(grace, 'app-one', ['openid'])).toBe(false);
      expect(await consents.revoke(grace, 'app-one')).toBe(false);

      await kit.server.app.get(AuditService).flush();
      const query = kit.server.app.get(AuditQueryService);
      expect((await query.find({ type: 'consent.granted', userId: grace })).events).toHaveLength(3);
      expect((await query.find({ type: 'consent.revoked', userId: grace })).events).toEqual([
        expect.objectContaining({ actor: { type: 'user', id: grace }, details: { client_id: 'app-one', revoked_families: 2, revoked_access_tokens: 2 } }),
      ]);
    });

    it('serves consents over the admin API', async () => {
      const ivan = await kit.user('consent-ivan@example.com');
      await consents.grant(ivan, 'app-two', ['openid']);
      await issueRefresh(ivan, 'app-two');
      expect(await kit.admin('/users/consent-ivan@example.com/consents')).toMatchObject({ status: 200, body: [{ client_id: 'app-two', scope: 'openid' }] });
      expect((await kit.admin(`/users/${ivan}/consents/app-two`, { method: 'DELETE' })).status).toBe(204);
      expect(await liveRefresh(ivan, 'app-two')).toBe(0);
      expect(await kit.admin(`/users/${ivan}/consents/app-two`, { method: 'DELETE' })).toMatchObject({ status: 404, body: { error: 'not_found' } });
      expect(await kit.admin(`/users/${ivan}/consents`)).toMatchObject({ status: 200, body: [] });
    });

    it('drives sessions and consents through authctl, one JSON document each with --json', async () => {
      const email = 'cli-judy@example.com';
      const judy = await kit.user(email);
      const first = await kit.sessions.start(judy, ['pwd'], ORIGIN);
      const second = await kit.sessions.start(judy, ['pwd'], ORIGIN);
      await consents.grant(judy, 'app-one', ['openid']);

      const listed = await kit.authctl('user', 'sessions', email, '--json');
      expect(listed.code).toBe(0);
      expect((jsonOutput(listed) as { id: string }[]).map((s) => s.id).sort()).toEqual([first.session.id, second.session.id].sort());
      expect(listed.stdout).not.toContain(first.cookieValue);

      const human = await kit.authctl('user', 'sessions', email);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(first.session.id);

      const one = await kit.authctl('user', 'revoke-sessions', email, first.session.id, '--json');
      expect(one.code).toBe(0);
      expect(jsonOutput(one)).toEqual({ revoked: 1, session: first.session.id });
      expect(await kit.sessions.resolve(first.cookieValue)).toBeUndefined();
      const missing = await kit.authctl('user', 'revoke-sessions', email, first.session.id, '--json');
      expect(missing.code).toBe(1);
      expect(jsonOutput(missing)).toEqual({ error: expect.stringMatching(/^not_found/) });

      const all = await kit.authctl('user', 'revoke-sessions', email, '--json');
      expect(jsonOutput(all)).toEqual({ revoked: 1 });
      expect(await kit.sessions.resolve(second.cookieValue)).toBeUndefined();

      const listedConsents = await kit.authctl('user', 'consents', judy, '--json');
      expect(jsonOutput(listedConsents)).toEqual([expect.objectContaining({ client_id: 'app-one', scope: 'openid' })]);
      const revoked = await kit.authctl('user', 'revoke-consent', judy, 'app-one', '--json');
      expect(revoked.code).toBe(0);
      expect(jsonOutput(revoked)).toEqual({ revoked: 'app-one' });
      expect(await consents.list(judy)).toEqual([]);
      const usage = await kit.authctl('user', 'revoke-consent', judy, '--json');
      expect(usage.code).toBe(2);
      expect(jsonOutput(usage)).toEqual({ error: expect.stringContaining('needs a client id') });
    });
  });
});
