import { Injectable, Logger } from '@nestjs/common';
import { RelyingPartyService } from '../oidc/relying-party.service';

/** The user's second factors, as `POST /account/mfa` reports them. */
export interface MfaStatus {
  readonly totpEnabled: boolean;
  readonly totpPending: boolean;
  readonly recoveryCodesRemaining: number;
}

/** A started authenticator enrollment: the shared secret and the `otpauth://` URI behind the QR code. */
export interface TotpEnrollment {
  readonly secret: string;
  readonly otpauthUri: string;
}

/** One entry of the user's security log, as auth-server words it (untrusted text: escape it). */
export interface SecurityEvent {
  readonly id: string;
  /** ISO 8601 instant. */
  readonly time: string;
  readonly type: string;
  readonly outcome: string;
}

/**
 * The account API's error codes (401 `invalid_client` / `invalid_token` /
 * `insufficient_user_authentication`, 400 `invalid_request` / `invalid_code`, 409 state
 * conflicts, 429, 503), plus `unexpected_response` for anything else: an unknown status, a
 * body that is not the documented JSON, a network failure or a timeout.
 */
export type AccountApiErrorCode =
  | 'invalid_client'
  | 'invalid_token'
  /** RFC 9470 s3: the user's sign-in is too old for this call (starting a set-up wants one within 900 s). */
  | 'insufficient_user_authentication'
  | 'invalid_request'
  | 'invalid_code'
  | 'mfa_already_enabled'
  | 'mfa_not_enabled'
  | 'enrollment_not_started'
  | 'too_many_requests'
  | 'temporarily_unavailable'
  | 'unexpected_response';

/** The error codes the account API may answer with, by HTTP status. Others are `unexpected_response`. */
const ERRORS_BY_STATUS: Readonly<Record<number, readonly AccountApiErrorCode[]>> = {
  400: ['invalid_request', 'invalid_code'],
  401: ['invalid_client', 'invalid_token', 'insufficient_user_authentication'],
  409: ['mfa_already_enabled', 'mfa_not_enabled', 'enrollment_not_started'],
};

/** A refused or failed account API call. Carries the stable code only, never auth-server's description. */
export class AccountApiError extends Error {
  override readonly name = 'AccountApiError';

  /**
   * @param status the HTTP status, 0 when there was no answer.
   * @param retryAfterSeconds for `too_many_requests`: auth-server's `Retry-After`.
   */
  constructor(
    readonly code: AccountApiErrorCode,
    readonly status: number,
    readonly retryAfterSeconds?: number,
  ) {
    super(`${status} ${code}`);
  }
}

/** Retry-After when a 429 names none (or an unreadable one), in seconds. */
const DEFAULT_RETRY_AFTER_S = 60;
/** Largest answer read, in characters: ten recovery codes or 100 events fit many times over. */
const MAX_BODY_CHARS = 256 * 1024;
const BASE32_SECRET = /^[A-Z2-7]{16,128}=*$/; // RFC 4648 s6; RFC 4226 s4 R6: at least 128 bits
const MAX_OTPAUTH_URI = 2_048;
const RECOVERY_CODE = /^[A-Za-z0-9-]{4,64}$/;
const MAX_RECOVERY_CODES = 50;
const MAX_EVENTS = 100;
const MAX_EVENT_TEXT = 200;

/**
 * auth-server's account API (`<issuer>/account/...`), called by the demo on behalf of the
 * signed-in user: a form POST authenticated as the demo's client, exactly as at the token
 * endpoint, with the user's access token in the member `token`. Each answer is checked
 * against the documented shape; anything else is an {@link AccountApiError}. Logs name the
 * path, the status and a known error code, never the token, a code or a description.
 */
@Injectable()
export class AccountApiClient {
  private readonly logger = new Logger('DemoAccountApi');

  constructor(private readonly relyingParty: RelyingPartyService) {}

  /** `POST /account/mfa`. @throws AccountApiError */
  async mfaStatus(token: string): Promise<MfaStatus> {
    return parseStatus(await this.call('/account/mfa', { token }));
  }

  /**
   * `POST /account/mfa/totp`: starts (or restarts) an enrollment.
   * @throws AccountApiError (`mfa_already_enabled`, `insufficient_user_authentication` when the sign-in is too old, ...)
   */
  async startTotp(token: string): Promise<TotpEnrollment> {
    const body = await this.call('/account/mfa/totp', { token });
    const secret = member(body, 'secret');
    const otpauthUri = member(body, 'otpauth_uri');
    if (typeof secret !== 'string' || !BASE32_SECRET.test(secret)) throw unexpected();
    if (typeof otpauthUri !== 'string' || !otpauthUri.startsWith('otpauth://totp/') || otpauthUri.length > MAX_OTPAUTH_URI) throw unexpected();
    return { secret, otpauthUri };
  }

  /** `POST /account/mfa/totp/confirm`: the recovery codes. @throws AccountApiError (`invalid_code`, `enrollment_not_started`, ...) */
  async confirmTotp(token: string, code: string): Promise<readonly string[]> {
    return parseRecoveryCodes(await this.call('/account/mfa/totp/confirm', { token, code }));
  }

  /** `POST /account/mfa/totp/disable` with a current code. @throws AccountApiError (`invalid_code`, `mfa_not_enabled`, ...) */
  async disableTotp(token: string, code: string): Promise<MfaStatus> {
    return parseStatus(await this.call('/account/mfa/totp/disable', { token, code }));
  }

  /**
   * `POST /account/mfa/recovery-codes` with a current code: ten new recovery codes; the old ones stop working.
   * @throws AccountApiError (`invalid_code`, `mfa_not_enabled`, ...)
   */
  async regenerateRecoveryCodes(token: string, code: string): Promise<readonly string[]> {
    return parseRecoveryCodes(await this.call('/account/mfa/recovery-codes', { token, code }));
  }

  /** `POST /account/events`: the user's latest events, newest first. @throws AccountApiError */
  async events(token: string, limit: number): Promise<readonly SecurityEvent[]> {
    const events = member(await this.call('/account/events', { token, limit: String(limit) }), 'events');
    if (!Array.isArray(events) || events.length > MAX_EVENTS) throw unexpected();
    return events.map(parseEvent);
  }

  private async call(path: string, fields: Readonly<Record<string, string>>): Promise<unknown> {
    let response: Response;
    let text: string;
    try {
      response = await this.relyingParty.postAsClient(path, fields);
      text = await response.text();
    } catch (error) {
      this.logger.warn(`account API ${path} unreachable (${(error as Error)?.name ?? 'error'})`);
      throw new AccountApiError('temporarily_unavailable', 0);
    }
    const body = text.length > MAX_BODY_CHARS ? undefined : parseJson(text);
    if (response.status === 200) {
      if (body === undefined) {
        this.logger.warn(`account API ${path} answered 200 with a body that is not JSON`);
        throw unexpected(200);
      }
      return body;
    }
    const error = errorOf(response, body);
    this.logger.warn(`account API ${path} answered ${response.status} ${error.code}`);
    throw error;
  }
}

/** The stable error of a non-200 answer: a documented code for its status, else by status class. */
function errorOf(response: Response, body: unknown): AccountApiError {
  const status = response.status;
  if (status === 429) return new AccountApiError('too_many_requests', status, retryAfterSeconds(response.headers.get('retry-after')));
  if (status >= 500) return new AccountApiError('temporarily_unavailable', status);
  const code = member(body, 'error');
  const known = ERRORS_BY_STATUS[status]?.find((c) => c === code);
  return new AccountApiError(known ?? 'unexpected_response', status);
}

/** RFC 9110 s10.2.3: delay-seconds or an HTTP-date, as whole seconds from now (at least 1). */
function retryAfterSeconds(header: string | null): number {
  if (header === null) return DEFAULT_RETRY_AFTER_S;
  const value = header.trim();
  if (/^\d{1,9}$/.test(value)) return Math.max(1, Number(value));
  const at = Date.parse(value);
  return Number.isNaN(at) ? DEFAULT_RETRY_AFTER_S : Math.max(1, Math.ceil((at - Date.now()) / 1000));
}

function parseStatus(body: unknown): MfaStatus {
  const totp = member(body, 'totp');
  const enabled = member(totp, 'enabled');
  const pending = member(totp, 'pending');
  const remaining = member(body, 'recovery_codes_remaining');
  if (typeof enabled !== 'boolean' || typeof pending !== 'boolean') throw unexpected();
  if (typeof remaining !== 'number' || !Number.isSafeInteger(remaining) || remaining < 0) throw unexpected();
  return { totpEnabled: enabled, totpPending: pending, recoveryCodesRemaining: remaining };
}

/** `{"recovery_codes":[...]}`: at least one code, each of the documented alphabet. */
function parseRecoveryCodes(body: unknown): readonly string[] {
  const codes = member(body, 'recovery_codes');
  if (!Array.isArray(codes) || codes.length === 0 || codes.length > MAX_RECOVERY_CODES) throw unexpected();
  if (!codes.every((c): c is string => typeof c === 'string' && RECOVERY_CODE.test(c))) throw unexpected();
  return codes;
}

function parseEvent(value: unknown): SecurityEvent {
  const [id, time, type, outcome] = (['id', 'time', 'type', 'outcome'] as const).map((name) => member(value, name));
  const fields = [id, time, type, outcome];
  if (!fields.every((f): f is string => typeof f === 'string' && f.length <= MAX_EVENT_TEXT)) throw unexpected();
  return { id: id as string, time: time as string, type: type as string, outcome: outcome as string };
}

/** An own member of a plain object (never one inherited through `__proto__`). */
function member(value: unknown, name: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.prototype.hasOwnProperty.call(value, name) ? (value as Record<string, unknown>)[name] : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function unexpected(status = 200): AccountApiError {
  return new AccountApiError('unexpected_response', status);
}
