import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { describeEachDatabase } from '@authkit/testing';
import { AuthorizationCodeService } from '../src/app/authorize/authorization-code.service';
import { hashOpaqueToken, returnedRows } from '../src/app/crypto/opaque-token';
import { ExpiredGrantsPurger } from '../src/app/oauth/expired-grants.purger';
import { RefreshTokenService } from '../src/app/refresh/refresh-token.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

const grant = { clientId: 'web', userId: 'user-purge', scope: ['openid', 'offline_access'], authTime: 1_800_000_000, amr: ['pwd'] };
const access = () => ({ jti: randomUUID(), expiresAt: Math.floor(Date.now() / 1000) + 600 });

describeEachDatabase('expired grants purge', (database) => {
  let server: RunningAuthServer;
  let db: DataSource;
  beforeAll(async () => {
    server = await startAuthServer(database());
    db = server.app.get(DataSource);
  });
  afterAll(() => server?.close());

  /** A fresh code of `web`; returns the hash it is stored under. */
  async function newCodeHash(): Promise<string> {
    const verifier = randomBytes(32).toString('base64url');
    const code = await server.app.get(AuthorizationCodeService).issue(
      { ...grant, nonce: 'n', redirectUri: 'https://app.example.com/cb', codeChallenge: createHash('sha256').update(verifier).digest('base64url') },
      60,
    );
    return hashOpaqueToken(code);
  }

  /** A code of `web`, expired two days ago, that issued `family` (if any); returns its id. */
  async function oldCode(family?: string): Promise<string> {
    const codeHash = await newCodeHash();
    const [row] = returnedRows<{ id: string }>(
      (await db.query(
        `UPDATE authorization_codes SET expires_at = now() - interval '2 days', redeemed_at = now() - interval '2 days', issued_refresh_family = $2
         WHERE code_hash = $1 RETURNING id`,
        [codeHash, family ?? null],
      )) as unknown,
    );
    return row!.id;
  }

  const exists = async (table: 'authorization_codes' | 'refresh_tokens', column: string, value: string) =>
    ((await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [value])) as { n: number }[])[0]!.n > 0;

  it('drops dead families and old codes, and keeps a code whose family still lives (a replay must still revoke it)', async () => {
    const refresh = server.app.get(RefreshTokenService);
    const { familyId: dead } = await refresh.issue(grant, { idle: 3_600, absolute: 86_400 }, access());
    await db.query(`UPDATE refresh_tokens SET family_expires_at = now() - interval '2 days', expires_at = now() - interval '2 days' WHERE family_id = $1`, [dead]);
    const { familyId: live } = await refresh.issue(grant, { idle: 3_600, absolute: 86_400 }, access());
    const orphan = await oldCode();
    const ofDeadFamily = await oldCode(dead);
    const ofLiveFamily = await oldCode(live);

    const purged = await server.app.get(ExpiredGrantsPurger).purge();
    expect(purged.codes).toBeGreaterThanOrEqual(2);
    expect(purged.refreshTokens).toBeGreaterThanOrEqual(1);
    expect(await exists('refresh_tokens', 'family_id', dead)).toBe(false);
    expect(await exists('refresh_tokens', 'family_id', live)).toBe(true);
    expect(await exists('authorization_codes', 'id', orphan)).toBe(false);
    expect(await exists('authorization_codes', 'id', ofDeadFamily)).toBe(false);
    expect(await exists('authorization_codes', 'id', ofLiveFamily)).toBe(true);
  });

  it('keeps a code that expired less than a day ago', async () => {
    const codeHash = await newCodeHash();
    await db.query(`UPDATE authorization_codes SET expires_at = now() - interval '1 hour' WHERE code_hash = $1`, [codeHash]);
    await server.app.get(ExpiredGrantsPurger).purge();
    expect(await exists('authorization_codes', 'code_hash', codeHash)).toBe(true);
  });
});
