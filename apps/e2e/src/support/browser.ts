import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium unless `CHROMIUM_PATH` names another (CONTRACT: `npm run test:e2e`). */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * A headless Chromium (playwright-core drives the system browser; no browser download).
 * Playwright gives each launch a throwaway profile of its own.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
