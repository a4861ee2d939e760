import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Raw } from 'typeorm';
import { z } from 'zod';
import { AuditService, type AuditParty } from '@authkit/audit';
import { OAuthError } from '../oauth/oauth-error';
import { GrantRevocation } from '../refresh/grant-revocation.service';
import { SessionService } from '../sessions/session.service';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PasswordHasher } from './password.hasher';
import { UserEntity } from './user.entity';
import { isUuid } from '../uuid-form';

const ROLE = /^[A-Za-z0-9:._-]{1,64}$/;
const UNIQUE_VIOLATION = '23505'; // PostgreSQL SQLSTATE

export const userInputSchema = z
  .object({
    email: z.string().trim().email().max(320),
    password: z.string().min(PASSWORD_MIN_LENGTH, `at least ${PASSWORD_MIN_LENGTH} characters`).max(PASSWORD_MAX_LENGTH),
    roles: z.array(z.string().regex(ROLE, 'letters, digits and : . _ - (1 to 64)')).max(50).default([]),
    disabled: z.boolean().default(false),
  })
  .strict();

/** A user as the admin API shows it: never the password hash. */
export interface UserView {
  id: string;
  email: string;
  roles: string[];
  disabled: boolean;
  created_at: string;
}

/** User accounts: creation, listing, disabling, password changes, and credential checks. */
@Injectable()
export class UserService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly passwords: PasswordHasher,
    private readonly audit: AuditService,
    private readonly sessions: SessionService,
    private readonly grants: GrantRevocation,
  ) {}

  async create(input: unknown, actor: AuditParty): Promise<UserView> {
    const parsed = userInputSchema.safeParse(input);
    if (!parsed.success) throw new OAuthError('invalid_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const { email, password, roles, disabled } = parsed.data;
    const alreadyRegistered = () => new OAuthError('invalid_request', 'email: already registered');
    if (await this.findByEmail(email)) throw alreadyRegistered();
    const now = new Date();
    const user = await this.dataSource
      .getRepository(UserEntity)
      .save({
        id: randomUUID(),
        email,
        passwordHash: await this.passwords.hash(password),
        roles: [...new Set(roles)],
        disabled,
        createdAt: now,
        updatedAt: now,
        passwordChangedAt: now,
      })
      .catch((error: unknown) => {
        // Two requests for one new email both pass the check above; the unique index decides.
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) throw alreadyRegistered();
        throw error;
      });
    this.audit.record({ type: 'user.created', outcome: 'success', actor, subject: { type: 'user', id: user.id }, details: { roles: user.roles } });
    return toView(user);
  }

  async list(): Promise<UserView[]> {
    return (await this.dataSource.getRepository(UserEntity).find({ order: { email: 'ASC' } })).map(toView);
  }

  /** By id or email. @throws OAuthError `not_found`. */
  async get(idOrEmail: string): Promise<UserEntity> {
    const repo = this.dataSource.getRepository(UserEntity);
    const user = isUuid(idOrEmail) ? await repo.findOneBy({ id: idOrEmail }) : await this.findByEmail(idOrEmail);
    if (!user) throw new OAuthError('not_found', 'No such user.');
    return user;
  }

  async setDisabled(idOrEmail: string, disabled: boolean, actor: AuditParty): Promise<UserView> {
    const user = await this.get(idOrEmail);
    user.disabled = disabled;
    user.updatedAt = new Date();
    await this.dataSource.getRepository(UserEntity).save(user);
    this.audit.record({ type: disabled ? 'user.disabled' : 'user.updated', outcome: 'success', actor, subject: { type: 'user', id: user.id }, details: { disabled } });
    // OWASP ASVS 5.0 V7.4.3; after the save, so a sign-in racing the change cannot outlive it.
    if (disabled) await this.endEverything(user.id, actor, 'user.disabled');
    return toView(user);
  }

  async setPassword(idOrEmail: string, password: unknown, actor: AuditParty): Promise<UserView> {
    const parsed = userInputSchema.shape.password.safeParse(password);
    if (!parsed.success) throw new OAuthError('invalid_request', `password: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const user = await this.get(idOrEmail);
    user.passwordHash = await this.passwords.hash(parsed.data);
    user.passwordChangedAt = user.updatedAt = new Date();
    await this.dataSource.getRepository(UserEntity).save(user);
    this.audit.record({ type: 'user.password.changed', outcome: 'success', actor, subject: { type: 'user', id: user.id } });
    // OWASP ASVS 5.0 V7.4.3: a new password ends every session and grant the old one opened.
    await this.endEverything(user.id, actor, 'password.changed');
    return toView(user);
  }

  /**
   * Ends what the account had opened: its sign-in sessions, and its grants to clients (refresh
   * token families) with the access tokens issued from them (RFC 7009 s2.1), so that neither
   * a disabled account nor a replaced password keeps working through a client.
   */
  private async endEverything(userId: string, actor: AuditParty, reason: 'user.disabled' | 'password.changed'): Promise<void> {
    // Both are tried even when one fails (a store away): whatever can end, ends now; the
    // caller gets the failure and may retry, and a revocation Redis missed is published later.
    const [sessions, grants] = await Promise.allSettled([this.sessions.revokeAllForUser(userId, { actor, reason }), this.grants.revokeForUser(userId)]);
    if (grants.status === 'fulfilled' && (grants.value.families.length > 0 || grants.value.accessTokens > 0)) {
      this.audit.record({
        type: 'token.revoked',
        outcome: 'success',
        actor,
        subject: { type: 'user', id: userId },
        details: { kind: 'refresh_token', families: grants.value.families.length, access_tokens: grants.value.accessTokens, reason },
      });
    }
    if (sessions.status === 'rejected') throw sessions.reason;
    if (grants.status === 'rejected') throw grants.reason;
  }

  /** Bootstrap: create, or bring roles, disabled flag and password in line; unchanged when equal. */
  async applyBootstrap(input: unknown, actor: AuditParty): Promise<'created' | 'updated' | 'unchanged'> {
    const parsed = userInputSchema.safeParse(input);
    if (!parsed.success) throw new OAuthError('invalid_request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const existing = await this.findByEmail(parsed.data.email);
    if (!existing) {
      await this.create(parsed.data, actor);
      return 'created';
    }
    let changed = false;
    const roles = [...new Set(parsed.data.roles)].sort();
    if (JSON.stringify([...existing.roles].sort()) !== JSON.stringify(roles) || existing.disabled !== parsed.data.disabled) {
      existing.roles = roles;
      existing.disabled = parsed.data.disabled;
      existing.updatedAt = new Date();
      await this.dataSource.getRepository(UserEntity).save(existing);
      this.audit.record({ type: 'user.updated', outcome: 'success', actor, subject: { type: 'user', id: existing.id }, details: { roles, disabled: existing.disabled } });
      if (existing.disabled) await this.endEverything(existing.id, actor, 'user.disabled'); // OWASP ASVS 5.0 V7.4.3
      changed = true;
    }
    if (!(await this.passwords.verify(existing.passwordHash, parsed.data.password))) {
      await this.setPassword(existing.id, parsed.data.password, actor);
      changed = true;
    }
    return changed ? 'updated' : 'unchanged';
  }

  /**
   * The user whose email and password match, or null. Unknown email, wrong password and a
   * disabled account cost the same argon2 verification and look the same to the caller.
   */
  async verifyCredentials(email: string, password: string): Promise<UserEntity | null> {
    const user = await this.findByEmail(email.trim());
    const ok = await this.passwords.verify(user?.passwordHash, password);
    return ok && user && !user.disabled ? user : null;
  }

  private async findByEmail(email: string): Promise<UserEntity | null> {
    // Every stored email passed this check; another string (one with U+0000, which
    // PostgreSQL text cannot hold, say) names no user and must not reach the query.
    if (!userInputSchema.shape.email.safeParse(email).success) return null;
    return this.dataSource.getRepository(UserEntity).findOneBy({ email: Raw((column) => `lower(${column}) = lower(:email)`, { email }) });
  }
}

function toView(user: UserEntity): UserView {
  return { id: user.id, email: user.email, roles: user.roles, disabled: user.disabled, created_at: user.createdAt.toISOString() };
}
