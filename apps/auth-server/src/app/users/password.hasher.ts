import { Injectable, type OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';

/**
 * argon2id at OWASP's recommended parameters (Password Storage Cheat Sheet: m=19 MiB,
 * t=2, p=1). Hashing runs in libuv's thread pool, off the event loop.
 */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** ASVS 5.0 V6.2.1/V6.2.9: at least 8 characters, and at least 64 allowed. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024; // bounds the work an attacker can make us do

@Injectable()
export class PasswordHasher implements OnModuleInit {
  private decoy = '';

  /** A hash of a random password, verified against when the email is unknown (equal timing). */
  async onModuleInit(): Promise<void> {
    this.decoy = await this.hash(`decoy-${Math.random()}-${Date.now()}`);
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_OPTIONS);
  }

  /** Verifies against `hash`, or against the decoy when there is none, so timing tells nothing. */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    if (password.length > PASSWORD_MAX_LENGTH) return false;
    try {
      const ok = await argon2.verify(hash ?? this.decoy, password);
      return ok && hash !== undefined;
    } catch {
      return false;
    }
  }

  /** True when the stored hash uses weaker parameters than today's and should be replaced. */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, ARGON2_OPTIONS);
  }
}
