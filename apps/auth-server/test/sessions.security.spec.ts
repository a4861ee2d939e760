// Attack regressions for auth-server's sign-in sessions (OWASP ASVS 5.0 V7). Each test
// names the attack and its source.
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { AuditService } from '@authkit/audit';
import { describeEachDatabase } from '@authkit/testing';
import { hashOpaqueToken, newOpaqueToken } from '../src/app/crypto/opaque-token';
import { PostgresSessionStore } from '../src/app/sessions/postgres-session.store';
import { RedisSessionStore } from '../src/app/sessions/redis-session.store';
import { SessionClock } from '../src/app/sessions/session-clock';
import { SessionStoreUnavailableError } from '../src/app/sessions/session-errors';
import { SessionStore } from '../src/app/sessions/session-store.interface';
import { SessionService } from '../src/app/sessions/session.service';
import { sessionStoreKinds, startSessionServer, type SessionServer } from './sessions.fixture';

const ORIGIN = { ip: '198.51.100.9', userAgent: 'victim-browser' };

describeEachDatabase('sign-in session attacks', (database) => {
  describe.each(sessionStoreKinds())('on the %s store', (kind) => {
    let kit: SessionServer;
    beforeAll(async () => {
      kit = await startSessionServer(database(), kind, `security-${kind}`);
    });
    afterAll(() => kit?.close());

    // Session fixation, CWE-384, OWASP ASVS 5.0 V7.2.4: an attacker plants a cookie value
    // in the victim's browser before sign-in; it must never become the signed-in session.
    it('session fixation: a planted cookie value is never adopted, live or unknown', async () => {
      const victim = await kit.user(`fixation-victim-${kind}@example.com`);
      const attacker = await kit.user(`fixation-attacker-${kind}@example.com`);
      const planted = newOpaqueToken(); // well-formed, unknown to the server
      const signedIn = await kit.sessions.start(victim, ['pwd'], ORIGIN, planted);
      expect(signedIn.cookieValue).not.toBe(planted);
      expect(await kit.sessions.resolve(planted)).toBeUndefined();

      // The attacker's own live session, planted in the victim's browser, ends at sign-in.
      const attackers = await kit.sessions.start(attacker, ['pwd'], {});
      const victims = await kit.sessions.start(victim, ['pwd'], ORIGIN, attackers.cookieValue);
      expect(victims.cookieValue).not.toBe(attackers.cookieValue);
      expect(await kit.sessions.resolve(attackers.cookieValue)).toBeUndefined();
      expect(await kit.sessions.resolve(victims.cookieValue)).toMatchObject({ userId: victim });
    });

    // Session fixation across a step-up, OWASP ASVS 5.0 V7.2.4: a cookie captured before the
    // second factor must not carry the raised authentication level.
    it('step-up fixation: the pre-MFA cookie is dead after elevation, and a race elevates once (CWE-362)', async () => {
      const user = await kit.user(`stepup-${kind}@example.com`);
      const { cookieValue } = await kit.sessions.start(user, ['pwd'], ORIGIN);
      const outcomes = await Promise.allSettled([kit.sessions.elevate(cookieValue, ['pwd', 'otp']), kit.sessions.elevate(cookieValue, ['pwd', 'otp'])]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: { code: 'login_required' } });
      expect(await kit.sessions.resolve(cookieValue)).toBeUndefined();
      expect(await kit.sessions.listForUser(user)).toHaveLength(1);
    });

    // Injection and oversized input through the cookie, CWE-20 / CWE-89: any value that is
    // not of the server's own shape is no session, without touching the store.
    it('malformed cookie values resolve to no session and never throw', async () => {
      for (const value of ["' OR 1=1 --", 'a'.repeat(100_000), '', ' ', 'é'.repeat(43), `${newOpaqueToken()}x`, '\u0000'.repeat(43)]) {
        await expect(kit.sessions.resolve(value)).resolves.toBeUndefined();
        await expect(kit.sessions.end(value)).resolves.toBeUndefined();
        await expect(kit.sessions.elevate(value, ['pwd', 'otp'])).rejects.toMatchObject({ code: 'login_required' });
      }
    });

    // Session resurrection after logout, OWASP ASVS 5.0 V7.4.1: a late idle-timer write
    // (a request that resolved the session just before sign-out) must not revive it.
    it('resurrection: a touch racing sign-out does not bring the session back', async () => {
      const user = await kit.user(`resurrect-${kind}@example.com`);
      const { cookieValue } = await kit.sessions.start(user, ['pwd'], ORIGIN);
      const hash = hashOpaqueToken(cookieValue);
      const store = kit.server.app.get<SessionStore>(SessionStore);
      const seen = (await store.findLive(hash, Date.now()))!;
      await kit.sessions.end(cookieValue);
      await store.touch(hash, { ...seen, lastSeenAt: Date.now(), idleExpiresAt: Date.now() + 600_000 });
      expect(await kit.sessions.resolve(cookieValue)).toBeUndefined();
    });

    // Stolen store contents, OWASP ASVS 5.0 V7.2.3 / CWE-312: what the store holds is not a
    // usable cookie.
    it('store theft: the stored key does not work as a cookie', async () => {
      const user = await kit.user(`theft-${kind}@example.com`);
      const { cookieValue } = await kit.sessions.start(user, ['pwd'], ORIGIN);
      const storedKey = hashOpaqueToken(cookieValue);
      expect(await kit.sessions.resolve(storedKey)).toBeUndefined();
      expect(await kit.sessions.resolve(Buffer.from(storedKey, 'hex').toString('base64url'))).toBeUndefined();
    });
  });

  // Fail-open on an unavailable session store, CWE-636 ("not failing securely"): when
  // Redis cannot answer, no session is live, revoked or created by guesswork.
  describe('with Redis unreachable', () => {
    let kit: SessionServer;
    let sessions: SessionService;
    let redis: Redis;
    beforeAll(async () => {
      kit = await startSessionServer(database(), 'postgres', 'redis-down');
      redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      redis.on('error', () => undefined);
      sessions = new SessionService(new RedisSessionStore(redis, `authkit-test-${Date.now()}:`), kit.server.app.get(AuditService), kit.server.config, new SessionClock());
    });
    afterAll(async () => {
      redis.disconnect();
      await kit?.close();
    });

    it('fails closed with 503 temporarily_unavailable on every operation', async () => {
      const user = await kit.user('redis-down@example.com');
      const cookie = newOpaqueToken();
      const attempts = [
        sessions.start(user, ['pwd'], ORIGIN),
        sessions.resolve(cookie),
        sessions.elevate(cookie, ['pwd', 'otp']),
        sessions.end(cookie),
        sessions.listForUser(user),
        sessions.revoke(user, '00000000-0000-4000-8000-000000000000'),
        sessions.revokeAllForUser(user),
      ];
      for (const outcome of await Promise.allSettled(attempts)) {
        expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(SessionStoreUnavailableError) });
        expect((outcome as PromiseRejectedResult).reason.getStatus()).toBe(503);
      }
    });

    it('the database store rejects too when its database is gone, rather than answering "no session"', async () => {
      const broken = new PostgresSessionStore({ query: () => Promise.reject(new Error('connection terminated')) } as unknown as DataSource);
      const service = new SessionService(broken, kit.server.app.get(AuditService), kit.server.config, new SessionClock());
      await expect(service.resolve(newOpaqueToken())).rejects.toThrow('connection terminated');
      await expect(service.listForUser('00000000-0000-4000-8000-000000000000')).rejects.toThrow('connection terminated');
    });
  });
});
