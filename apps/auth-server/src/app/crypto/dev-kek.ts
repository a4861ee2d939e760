import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '@authkit/config';

/**
 * The key-encryption key: `AUTH_KEK` when set (always in production), otherwise a
 * development key generated once into `DATA_DIR/kek` (mode 0600), with a warning.
 */
export async function resolveKek(config: AppConfig, warn: (message: string) => void): Promise<Buffer> {
  if (config.kek) return config.kek;
  const path = join(config.dataDir, 'kek');
  try {
    const existing = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
    if (existing.length === 32) return existing;
    throw new Error(`${path} does not hold base64 of 32 bytes; remove it or set AUTH_KEK`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const kek = randomBytes(32);
  const handle = await open(path, 'wx', 0o600);
  await handle.writeFile(kek.toString('base64'));
  await handle.close();
  warn(`AUTH_KEK is not set: generated a development key-encryption key in ${path}. Set AUTH_KEK in production.`);
  return kek;
}
