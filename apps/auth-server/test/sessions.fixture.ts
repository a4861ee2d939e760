import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { TestDatabase } from '@authkit/testing';
import { ClientService } from '../src/app/clients/client.service';
import { SessionClock } from '../src/app/sessions/session-clock';
import { SessionService } from '../src/app/sessions/session.service';
import { UserService } from '../src/app/users/user.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

const ROOT = join(__dirname, '../../..');
const SYSTEM = { type: 'system', id: 'test' } as const;

/** Short lifetimes so that a test walks past both expiries in a few clock steps. */
export const TEST_SESSION_IDLE_S = 600;
export const TEST_SESSION_ABSOLUTE_S = 1_500;

/** Which session store a suite runs on: the database always, Redis when `REDIS_URL` is set. */
export type SessionStoreKind = 'postgres' | 'redis';

/** The store kinds this machine can run. */
export function sessionStoreKinds(): SessionStoreKind[] {
  return process.env['REDIS_URL'] ? ['postgres', 'redis'] : ['postgres'];
}

/** Output of one authctl run. */
export interface AuthctlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running auth-server with a movable session clock, an admin client and helpers. */
export interface SessionServer {
  readonly server: RunningAuthServer;
  readonly sessions: SessionService;
  readonly users: UserService;
  /** Moves the session clock by `seconds` (cumulative); {@link SessionServer.resetClock} undoes it. */
  advance(seconds: number): void;
  resetClock(): void;
  /** Creates a user and remembers it for cleanup; returns its id. */
  user(email: string): Promise<string>;
  /** A request to `/admin<path>` with a fresh admin token (or `token`, or none when null). */
  admin(path: string, init?: { method?: string; token?: string | null }): Promise<{ status: number; text: string; body: unknown }>;
  authctl(...args: string[]): Promise<AuthctlRun>;
  /** Ends every session of the users it created (in Redis: deletes their keys) and stops. */
  close(): Promise<void>;
}

/**
 * Starts auth-server on `database` with the session store of `kind` (Redis through
 * `REDIS_URL`; the keys it writes are those of the users it creates, deleted at close)
 * and an admin client `ops-<label>` (a label per server on the same database).
 */
export async function startSessionServer(database: TestDatabase, kind: SessionStoreKind, label: string = kind): Promise<SessionServer> {
  const server = await startAuthServer(database, {
    SESSION_IDLE_TTL: String(TEST_SESSION_IDLE_S),
    SESSION_ABSOLUTE_TTL: String(TEST_SESSION_ABSOLUTE_S),
    ...(kind === 'redis' ? { REDIS_URL: process.env['REDIS_URL'] } : {}),
  });
  const sessions = server.app.get(SessionService);
  const users = server.app.get(UserService);
  const clock = server.app.get(SessionClock);
  let offsetMs = 0;
  const realNow = clock.now.bind(clock);
  clock.now = () => realNow() + offsetMs;
  const created: string[] = [];
  const ops = await server.app.get(ClientService).create({ client_id: `ops-${label}`, grant_types: ['client_credentials'], scope: 'admin' }, SYSTEM);
  const secret = ops.client_secret!;
  const basic = `Basic ${Buffer.from(`${ops.client_id}:${secret}`).toString('base64')}`;

  const adminToken = async (): Promise<string> => {
    const response = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
    });
    if (response.status !== 200) throw new Error(`admin token: ${response.status}`);
    return ((await response.json()) as { access_token: string }).access_token;
  };

  return {
    server,
    sessions,
    users,
    advance: (seconds) => void (offsetMs += seconds * 1000),
    resetClock: () => void (offsetMs = 0),
    user: async (email) => {
      const { id } = await users.create({ email, password: `${email}-password` }, SYSTEM);
      created.push(id);
      return id;
    },
    admin: async (path, init = {}) => {
      const token = init.token === undefined ? await adminToken() : init.token;
      const response = await fetch(`${server.url}/admin${path}`, {
        method: init.method ?? 'GET',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      const text = await response.text();
      return { status: response.status, text, body: text ? (JSON.parse(text) as unknown) : null };
    },
    authctl: (...args) =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          ['scripts/authctl.mjs', ...args],
          {
            cwd: ROOT,
            timeout: 20_000,
            env: { PATH: process.env['PATH'], AUTHCTL_URL: server.url, AUTHCTL_CLIENT_ID: ops.client_id, AUTHCTL_CLIENT_SECRET: secret },
          },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }),
        );
      }),
    close: async () => {
      offsetMs = 0;
      for (const id of created) await sessions.revokeAllForUser(id).catch(() => undefined);
      await server.close();
    },
  };
}
