import type { DataSource } from 'typeorm';
import { returnedRows } from '../crypto/opaque-token';
import type { SessionStore, StoredSession } from './session-store.interface';

interface Row {
  id: string;
  user_id: string;
  auth_time: string;
  amr: string[];
  created_at: Date;
  last_seen_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  ip: string | null;
  user_agent: string | null;
}

const COLUMNS = 'id, user_id, auth_time, amr, created_at, last_seen_at, idle_expires_at, absolute_expires_at, ip, user_agent';
/** `$2` is the session clock's now; idle never exceeds absolute, both are checked anyway. */
const LIVE = 'ended_at IS NULL AND idle_expires_at > $2 AND absolute_expires_at > $2';

/**
 * Sessions in the `user_sessions` table, through raw SQL on the app's data source. Ended
 * rows are kept until their idle expiry passes (for investigation), then purged.
 */
export class PostgresSessionStore implements SessionStore {
  constructor(private readonly dataSource: DataSource) {}

  async create(tokenHash: string, s: StoredSession): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO user_sessions (id, token_hash, user_id, auth_time, amr, created_at, last_seen_at, idle_expires_at, absolute_expires_at, ip, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        s.id,
        tokenHash,
        s.userId,
        s.authTime,
        [...s.amr],
        new Date(s.createdAt),
        new Date(s.lastSeenAt),
        new Date(s.idleExpiresAt),
        new Date(s.absoluteExpiresAt),
        s.ip ?? null,
        s.userAgent ?? null,
      ],
    );
  }

  async findLive(tokenHash: string, now: number): Promise<StoredSession | undefined> {
    const rows = (await this.dataSource.query(`SELECT ${COLUMNS} FROM user_sessions WHERE token_hash = $1 AND ${LIVE}`, [tokenHash, new Date(now)])) as Row[];
    return rows[0] && toStored(rows[0]);
  }

  async touch(tokenHash: string, s: StoredSession): Promise<void> {
    await this.dataSource.query('UPDATE user_sessions SET last_seen_at = $2, idle_expires_at = $3 WHERE token_hash = $1 AND ended_at IS NULL', [
      tokenHash,
      new Date(s.lastSeenAt),
      new Date(s.idleExpiresAt),
    ]);
  }

  async endByHash(tokenHash: string, now: number): Promise<StoredSession | undefined> {
    const result = (await this.dataSource.query(`UPDATE user_sessions SET ended_at = $2 WHERE token_hash = $1 AND ${LIVE} RETURNING ${COLUMNS}`, [
      tokenHash,
      new Date(now),
    ])) as unknown;
    const row = returnedRows<Row>(result)[0];
    return row && toStored(row);
  }

  async endById(userId: string, sessionId: string, now: number): Promise<StoredSession | undefined> {
    const result = (await this.dataSource.query(`UPDATE user_sessions SET ended_at = $2 WHERE id = $1 AND user_id = $3 AND ${LIVE} RETURNING ${COLUMNS}`, [
      sessionId,
      new Date(now),
      userId,
    ])) as unknown;
    const row = returnedRows<Row>(result)[0];
    return row && toStored(row);
  }

  async endAllForUser(userId: string, now: number): Promise<StoredSession[]> {
    const result = (await this.dataSource.query(`UPDATE user_sessions SET ended_at = $2 WHERE user_id = $1 AND ${LIVE} RETURNING ${COLUMNS}`, [
      userId,
      new Date(now),
    ])) as unknown;
    return returnedRows<Row>(result).map(toStored);
  }

  async listLive(userId: string, now: number): Promise<StoredSession[]> {
    const rows = (await this.dataSource.query(`SELECT ${COLUMNS} FROM user_sessions WHERE user_id = $1 AND ${LIVE} ORDER BY created_at DESC, id`, [
      userId,
      new Date(now),
    ])) as Row[];
    return rows.map(toStored);
  }

  async purgeExpired(): Promise<void> {
    // idle_expires_at never exceeds absolute_expires_at, so this one column covers both.
    await this.dataSource.query('DELETE FROM user_sessions WHERE idle_expires_at < now()');
  }
}

function toStored(row: Row): StoredSession {
  return {
    id: row.id,
    userId: row.user_id,
    authTime: Number(row.auth_time),
    amr: row.amr,
    createdAt: row.created_at.getTime(),
    lastSeenAt: row.last_seen_at.getTime(),
    idleExpiresAt: row.idle_expires_at.getTime(),
    absoluteExpiresAt: row.absolute_expires_at.getTime(),
    ip: row.ip ?? undefined,
    userAgent: row.user_agent ?? undefined,
  };
}
