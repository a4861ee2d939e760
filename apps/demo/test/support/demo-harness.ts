import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@authkit/config';
import { captureLogs } from '@authkit/testing';
import { Clock } from '../../src/app/session/clock';
import { createDemo } from '../../src/server';
import { TestBrowser } from './browser';
import { startFakeAccountApi, type FakeAccountApi } from './fake-account-api';
import { startTestIssuer, type TestIssuer } from './oidc-issuer';

/** A clock the test moves forward instead of sleeping. */
export class ShiftableClock extends Clock {
  offsetMs = 0;

  override now(): number {
    return Date.now() + this.offsetMs;
  }
}

/** The demo, its issuer (oidc-provider) and what the tests need to drive them. */
export interface DemoHarness {
  readonly demo: NestFastifyApplication;
  readonly demoUrl: string;
  readonly issuer: TestIssuer;
  /** The stand-in for auth-server's account API, reached through the issuer at `<issuer>/account/*`. */
  readonly account: FakeAccountApi;
  readonly clock: ShiftableClock;
  readonly logs: ReturnType<typeof captureLogs>;
  /** Starts another demo instance with the same configuration and session store (Redis): its base URL. */
  startPeer(): Promise<string>;
  /** Signs a new browser in through the whole flow; returns it with its session cookie set. */
  signIn(): Promise<TestBrowser>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts oidc-provider and the demo against it; `redisUrl` switches the session store to
 * Redis; `env` adds variables to the demo's configuration.
 */
export async function startDemoHarness(
  options: { redisUrl?: string; accessTokenTtl?: number; env?: Record<string, string> } = {},
): Promise<DemoHarness> {
  const port = await freePort();
  const demoUrl = `http://127.0.0.1:${port}`;
  const account = await startFakeAccountApi();
  const issuer = await startTestIssuer({
    redirectUri: `${demoUrl}/auth/callback`,
    postLogoutRedirectUri: `${demoUrl}/`,
    audience: `${demoUrl}/api`,
    accessTokenTtl: options.accessTokenTtl,
    accountApiUrl: account.url,
  });
  account.connect(issuer.issuer, issuer.clientId, issuer.clientSecret);
  const clock = new ShiftableClock();
  const logs = captureLogs();
  const config = loadConfig({
    NODE_ENV: 'test',
    AUTH_ISSUER: issuer.issuer,
    DEMO_PORT: String(port),
    DEMO_PUBLIC_URL: demoUrl,
    AUTH_DEFAULT_AUDIENCE: `${demoUrl}/api`,
    DEMO_CLIENT_ID: issuer.clientId,
    DEMO_CLIENT_SECRET: issuer.clientSecret,
    LOG_LEVEL: 'info',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.env,
  });
  const keyPrefix = `authkit:test:demo:${randomBytes(6).toString('hex')}:`;
  const demo = await createDemo(config, logs.stream, { clock, keyPrefix });
  await demo.listen({ port, host: '127.0.0.1' });
  const peers: NestFastifyApplication[] = [];
  return {
    demo,
    demoUrl,
    issuer,
    account,
    clock,
    logs,
    async startPeer() {
      const peer = await createDemo(config, logs.stream, { clock, keyPrefix });
      peers.push(peer);
      await peer.listen({ port: 0, host: '127.0.0.1' });
      return `http://127.0.0.1:${(peer.getHttpServer().address() as { port: number }).port}`;
    },
    async signIn() {
      const browser = new TestBrowser();
      const { response } = await browser.follow(`${demoUrl}/auth/login`);
      if (response.status !== 200 || !browser.cookie(demoUrl, 'demo_session')) {
        throw new Error(`sign-in did not complete: ${response.status} ${await response.text()}`);
      }
      return browser;
    },
    async close() {
      for (const peer of peers) await peer.close();
      await demo.close();
      await issuer.stop();
      await account.close();
    },
  };
}
