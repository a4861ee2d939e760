import { createPrivateKey, createPublicKey, randomBytes, sign as signCb, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '@authkit/audit';
import { InjectAppConfig, type AppConfig, type SigningAlgorithm } from '@authkit/config';
import { KeyEncryption } from '../crypto/key-encryption';
import { ALGORITHMS, generateSigningKeyPair } from './key-algorithms';
import { SigningKeyEntity, type SigningKeyStatus } from './signing-key.entity';

const signAsync = promisify(signCb);

/** Longest lifetime of anything a key signs (a client's own access token TTL is capped to it). */
export const MAX_TOKEN_TTL_SECONDS = 86_400;
const PUBLISH_MARGIN_SECONDS = 300; // clock skew and caches of resource servers
const REFRESH_EVERY_MS = 15_000; // how soon a rotation made by another instance is seen
const KEY_LOCK = 0x6b657973; // pg_advisory_xact_lock id serialising key changes ("keys")

/** A key as the rest of the server sees it. */
export interface LoadedKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly status: SigningKeyStatus;
  readonly publicKey: KeyObject;
  readonly publicJwk: Record<string, string>;
  readonly createdAt: Date;
  readonly activatedAt: Date | null;
  readonly retiredAt: Date | null;
  readonly publishUntil: Date | null;
}

interface Signer {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: KeyObject;
  readonly headers: Map<string, string>; // typ -> encoded protected header
}

/**
 * Token-signing keys: generation, encrypted storage, publication and rotation.
 *
 * There is always a `next` key, published in the JWKS before it ever signs. Rotation
 * promotes it to `active`, retires the old active key (still published until every token
 * it signed has expired) and creates a new `next`. Instances pick up a rotation made
 * elsewhere within {@link REFRESH_EVERY_MS}; meanwhile they sign with a key that is still
 * published, so no token in flight fails and no restart is needed.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SigningKeyService.name);
  private signer: Signer | undefined;
  private keys = new Map<string, LoadedKey>();
  private jwksJson = '{"keys":[]}';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectAppConfig() private readonly config: AppConfig,
    private readonly encryption: KeyEncryption,
    private readonly audit: AuditService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.dataSource.transaction((manager) => this.ensureKeys(manager));
    await this.reload();
    this.timer = setInterval(() => void this.reload().catch((e: Error) => this.logger.warn(`key reload failed (${e.name})`)), REFRESH_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Signs a JWT with the active key: header `{alg, typ, kid}`, off the event loop. */
  async signJwt(typ: string, payload: object): Promise<string> {
    const signer = this.signer;
    if (!signer) throw new Error('no active signing key');
    let header = signer.headers.get(typ);
    if (!header) {
      header = Buffer.from(JSON.stringify({ alg: signer.alg, typ, kid: signer.kid })).toString('base64url');
      signer.headers.set(typ, header);
    }
    const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const { digest, dsaEncoding } = ALGORITHMS[signer.alg];
    const signature = await signAsync(digest, Buffer.from(input), dsaEncoding ? { key: signer.privateKey, dsaEncoding } : signer.privateKey);
    return `${input}.${signature.toString('base64url')}`;
  }

  /** The published JWK Set (public members only), serialised. */
  jwks(): string {
    return this.jwksJson;
  }

  /** A published key by id, for verifying tokens this server issued. */
  publicKey(kid: string): LoadedKey | undefined {
    const key = this.keys.get(kid);
    return key && (!key.publishUntil || key.publishUntil.getTime() > Date.now()) ? key : undefined;
  }

  list(): LoadedKey[] {
    return [...this.keys.values()];
  }

  /**
   * Rotates: `next` signs from now on, the active key is retired but stays published
   * until every token it signed has expired, and a new `next` is published.
   */
  async rotate(actor: { type: string; id: string }): Promise<LoadedKey> {
    const promoted = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK]);
      await this.ensureKeys(manager);
      const repo = manager.getRepository(SigningKeyEntity);
      const alg = this.config.signingAlgorithm;
      const next = await repo.findOneByOrFail({ status: 'next', alg });
      const now = new Date();
      await this.retireActive(manager, now);
      next.status = 'active';
      next.activatedAt = now;
      await repo.save(next);
      await repo.save(await this.newKey(alg, 'next'));
      return next;
    });
    await this.reload();
    this.audit.record({
      type: 'key.rotated',
      outcome: 'success',
      actor,
      subject: { type: 'signing_key', id: promoted.kid },
      details: { alg: promoted.alg },
    });
    return this.keys.get(promoted.kid)!;
  }

  /** Makes sure an active and a next key of the configured algorithm exist. */
  private async ensureKeys(manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK]);
    const repo = manager.getRepository(SigningKeyEntity);
    const alg = this.config.signingAlgorithm;
    const now = new Date();
    if (!(await repo.findOneBy({ status: 'active', alg }))) {
      // First start, or the configured algorithm changed: retire any other active key.
      await this.retireActive(manager, now);
      const pending = await repo.findOneBy({ status: 'next', alg });
      const key = pending ?? (await this.newKey(alg, 'active'));
      key.status = 'active';
      key.activatedAt = new Date();
      await repo.save(key);
      this.logger.log(`signing key ${key.kid} (${alg}) is active`);
    }
    if (!(await repo.findOneBy({ status: 'next', alg }))) await repo.save(await this.newKey(alg, 'next'));
    await manager.query(`DELETE FROM signing_keys WHERE status = 'retired' AND publish_until < now() - interval '1 day'`);
  }

  private async retireActive(manager: EntityManager, now: Date): Promise<void> {
    await manager.query(
      `UPDATE signing_keys SET status = 'retired', retired_at = $1, publish_until = $2 WHERE status = 'active'`,
      [now, new Date(now.getTime() + (MAX_TOKEN_TTL_SECONDS + PUBLISH_MARGIN_SECONDS) * 1000)],
    );
    // A pending key of another algorithm will never sign: retire it too.
    await manager.query(
      `UPDATE signing_keys SET status = 'retired', retired_at = $1, publish_until = $1 WHERE status = 'next' AND alg <> $2`,
      [now, this.config.signingAlgorithm],
    );
  }

  private async newKey(alg: SigningAlgorithm, status: SigningKeyStatus): Promise<SigningKeyEntity> {
    const { publicKey, privateKey } = await generateSigningKeyPair(alg);
    const kid = randomBytes(12).toString('base64url');
    const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
    const key = new SigningKeyEntity();
    key.kid = kid;
    key.alg = alg;
    key.status = status;
    key.publicJwk = { ...jwk, kid, alg, use: 'sig' };
    key.privateKeySealed = this.encryption.encrypt(privateKey.export({ format: 'der', type: 'pkcs8' }), `signing-key:${kid}`);
    key.createdAt = new Date();
    key.activatedAt = null;
    key.retiredAt = null;
    key.publishUntil = null;
    return key;
  }

  private async reload(): Promise<void> {
    const rows = await this.dataSource.getRepository(SigningKeyEntity).find({ order: { createdAt: 'ASC' } });
    const keys = new Map<string, LoadedKey>();
    let signer: Signer | undefined;
    for (const row of rows) {
      const alg = row.alg as SigningAlgorithm;
      keys.set(row.kid, {
        kid: row.kid,
        alg,
        status: row.status,
        publicKey: createPublicKey({ key: row.publicJwk, format: 'jwk' }),
        publicJwk: row.publicJwk,
        createdAt: row.createdAt,
        activatedAt: row.activatedAt,
        retiredAt: row.retiredAt,
        publishUntil: row.publishUntil,
      });
      if (row.status === 'active' && alg === this.config.signingAlgorithm) {
        signer =
          this.signer?.kid === row.kid
            ? this.signer
            : {
                kid: row.kid,
                alg,
                privateKey: createPrivateKey({
                  key: this.encryption.decrypt(row.privateKeySealed, `signing-key:${row.kid}`),
                  format: 'der',
                  type: 'pkcs8',
                }),
                headers: new Map(),
              };
      }
    }
    this.keys = keys;
    if (signer) this.signer = signer;
    const now = Date.now();
    this.jwksJson = JSON.stringify({
      keys: [...keys.values()]
        .filter((k) => !k.publishUntil || k.publishUntil.getTime() > now)
        .map((k) => publicMembers(k.publicJwk)),
    });
  }
}

/** Only the public members of a JWK (RFC 7517 s4; RFC 7518 s6): never `d`, `p`, `q`, ... */
function publicMembers(jwk: Record<string, string>): Record<string, string> {
  const allowed = ['kty', 'kid', 'use', 'alg', 'n', 'e', 'crv', 'x', 'y'];
  return Object.fromEntries(Object.entries(jwk).filter(([name]) => allowed.includes(name)));
}
