import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** One thing the test issuer reported (see oidc-issuer.mjs). */
export interface IssuerEvent {
  readonly event: string;
  readonly grant_type?: string;
  readonly refresh_token?: string;
  readonly error?: string;
}

/** A running oidc-provider process acting as auth-server for the demo. */
export interface TestIssuer {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Everything reported so far, in order. */
  readonly events: IssuerEvent[];
  /** Waits until an event matching `match` has been reported (at or after index `from`). */
  waitFor(match: (event: IssuerEvent) => boolean, from?: number): Promise<IssuerEvent>;
  stop(): Promise<void>;
}

/** Starts the issuer with the demo's client registered for `redirectUri`. */
export async function startTestIssuer(options: {
  redirectUri: string;
  audience: string;
  accessTokenTtl?: number;
  postLogoutRedirectUri?: string;
  /** Where the issuer forwards `/account/*` (auth-server's account API): a test's stand-in. */
  accountApiUrl?: string;
}): Promise<TestIssuer> {
  const clientId = 'demo-web';
  const clientSecret = randomBytes(32).toString('base64url');
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'oidc-issuer.mjs')], {
    env: {
      PATH: process.env['PATH'],
      NODE_ENV: 'test',
      REDIRECT_URI: options.redirectUri,
      CLIENT_ID: clientId,
      CLIENT_SECRET: clientSecret,
      AUDIENCE: options.audience,
      ACCESS_TOKEN_TTL: String(options.accessTokenTtl ?? 600),
      ...(options.postLogoutRedirectUri ? { POST_LOGOUT_REDIRECT_URI: options.postLogoutRedirectUri } : {}),
      ...(options.accountApiUrl ? { ACCOUNT_API_URL: options.accountApiUrl } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const events: IssuerEvent[] = [];
  const waiters = new Set<() => void>();
  const issuer = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      // oidc-provider prints its own notices on stdout too; the fixture's reports are JSON.
      if (!line.startsWith('{')) return;
      const message = JSON.parse(line) as IssuerEvent & { msg?: string; issuer?: string };
      if (message.msg === 'listening') return resolve(message.issuer!);
      events.push(message);
      for (const wake of waiters) wake();
    });
    child.once('exit', (code) => reject(new Error(`oidc-issuer exited with ${code}: ${stderr}`)));
  });
  return {
    issuer,
    clientId,
    clientSecret,
    events,
    waitFor(match, from = 0) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching issuer event; saw ${JSON.stringify(events.map((e) => e.event))}`));
        }, 5_000);
        const check = () => {
          const found = events.slice(from).find(match);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
