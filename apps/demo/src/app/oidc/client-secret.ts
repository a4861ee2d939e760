import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { AppConfig } from '@authkit/config';

const DEV_CREDENTIALS_WAIT_MS = 60_000; // npm start launches auth-server and demo together
const DEV_CREDENTIALS_POLL_MS = 500;

/**
 * The demo's client secret at auth-server: `DEMO_CLIENT_SECRET`, or, in development, the
 * one auth-server writes to `DATA_DIR/dev-credentials.json` (waited for, since `npm start`
 * starts both servers at once).
 *
 * @throws Error naming what to set when neither appears within a minute.
 */
export async function demoClientSecret(config: AppConfig): Promise<string> {
  if (config.demo.clientSecret) return config.demo.clientSecret;
  const file = join(config.dataDir, 'dev-credentials.json');
  const deadline = Date.now() + DEV_CREDENTIALS_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      const secret = (JSON.parse(await readFile(file, 'utf8')) as { demo?: { DEMO_CLIENT_SECRET?: string } }).demo?.DEMO_CLIENT_SECRET;
      if (secret) return secret;
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) {
      throw new Error(`DEMO_CLIENT_SECRET must be set (or auth-server must write ${file} in development)`);
    }
    if (!announced) new Logger('DemoAuth').log(`waiting for auth-server to write ${file}`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, DEV_CREDENTIALS_POLL_MS));
  }
}

/** Injection token of the demo's client secret (a string). */
export const DEMO_CLIENT_SECRET = Symbol('DEMO_CLIENT_SECRET');
