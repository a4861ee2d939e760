import { Injectable } from '@nestjs/common';
import { SessionService } from '../session/session.service';
import type { TotpEnrollment } from './account-api.client';
import { AccountService } from './account.service';
import { SecurityError } from './security-error';

/** Name of the pending enrollment beside the demo session. */
const ENROLLMENT = 'totp-enrollment';
/**
 * How long the demo keeps a started enrollment's secret for the setup page: 15 min, time
 * enough to install an app and scan the code. The secret stays server-side (never in a
 * form field) so that the page can be shown again after a wrong code.
 */
export const PENDING_ENROLLMENT_TTL_MS = 15 * 60_000;

/** The outcome of confirming an enrollment. */
export type ConfirmOutcome =
  | { readonly confirmed: true; readonly recoveryCodes: readonly string[] }
  /** auth-server refused the code; the enrollment (same secret) is still pending. */
  | { readonly confirmed: false; readonly enrollment: TotpEnrollment };

/**
 * The `Set up authenticator app` flow: auth-server starts an enrollment, the demo keeps its
 * secret beside the session until the user confirms it with a first code.
 */
@Injectable()
export class TotpEnrollmentService {
  constructor(
    private readonly account: AccountService,
    private readonly sessions: SessionService,
  ) {
    // A secret left beside an ended session (sign-out, a new sign-in) goes with it.
    sessions.declareAttachment(ENROLLMENT);
  }

  /** Starts (or restarts) an enrollment at auth-server and keeps it for the setup page. @throws SecurityError */
  async start(sessionId: string): Promise<void> {
    const enrollment = await this.account.startTotp(sessionId);
    const kept = await this.sessions.attach(sessionId, ENROLLMENT, JSON.stringify(enrollment), PENDING_ENROLLMENT_TTL_MS).catch(storeUnavailable);
    if (!kept) throw new SecurityError('signed_out');
  }

  /** The enrollment started in this session, or undefined (none, expired, or finished). @throws SecurityError */
  async pending(sessionId: string): Promise<TotpEnrollment | undefined> {
    const value = await this.sessions.attachment(sessionId, ENROLLMENT).catch(storeUnavailable);
    return value === undefined ? undefined : parseEnrollment(value);
  }

  /**
   * Confirms the pending enrollment with `code`. Recovery codes are returned once and not
   * kept anywhere by the demo. A `code` of undefined (input that cannot be a code) is
   * refused like a wrong one, without asking auth-server.
   * @throws SecurityError `conflict` when no enrollment is pending (here or at auth-server).
   */
  async confirm(sessionId: string, code: string | undefined): Promise<ConfirmOutcome> {
    const enrollment = await this.pending(sessionId);
    if (enrollment === undefined) throw new SecurityError('conflict');
    if (code === undefined) return { confirmed: false, enrollment };
    let recoveryCodes: readonly string[] | undefined;
    try {
      recoveryCodes = await this.account.confirmTotp(sessionId, code);
    } catch (error) {
      if (error instanceof SecurityError && error.code === 'conflict') await this.forget(sessionId);
      throw error;
    }
    if (recoveryCodes === undefined) return { confirmed: false, enrollment };
    await this.forget(sessionId);
    return { confirmed: true, recoveryCodes };
  }

  private async forget(sessionId: string): Promise<void> {
    // Best effort: the secret is dead at auth-server either way, and the entry expires.
    await this.sessions.detach(sessionId, ENROLLMENT).catch(() => undefined);
  }
}

function parseEnrollment(value: string): TotpEnrollment | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<TotpEnrollment>;
    return typeof parsed.secret === 'string' && typeof parsed.otpauthUri === 'string' ? { secret: parsed.secret, otpauthUri: parsed.otpauthUri } : undefined;
  } catch {
    return undefined;
  }
}

function storeUnavailable(): never {
  throw new SecurityError('unavailable');
}
