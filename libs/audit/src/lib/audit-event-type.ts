/**
 * The catalogue of security event types. Types are stable strings: operators filter
 * on them and alerting rules match them, so a type is never renamed, only added.
 * The catalogue is plain data; the audit library knows nothing of who emits them.
 */
export const AUDIT_EVENT_TYPES = [
  // sign-in and sessions
  'auth.login.succeeded',
  'auth.login.failed',
  'auth.login.second_factor_required',
  'auth.logout',
  'session.created',
  'session.ended',
  'session.revoked',
  // OAuth clients
  'client.authentication.failed',
  'client.created',
  'client.updated',
  'client.deleted',
  'client.secret.rotated',
  // tokens and codes
  'token.issued',
  'token.revoked',
  'token.introspected',
  'token.refresh.rotated',
  'token.refresh.reuse_detected',
  'code.issued',
  'code.redeemed',
  'code.replayed',
  'consent.granted',
  'consent.revoked',
  // signing keys
  'key.created',
  'key.rotated',
  'key.retired',
  // users and second factors
  'user.created',
  'user.updated',
  'user.disabled',
  'user.password.changed',
  'mfa.enrollment.started',
  'mfa.enrollment.confirmed',
  'mfa.disabled',
  'mfa.verify.succeeded',
  'mfa.verify.failed',
  'mfa.recovery_code.used',
  'mfa.recovery_codes.regenerated',
  // abuse resistance and operations
  'rate_limit.exceeded',
  'audit.purged',
] as const;

/** A stable event type from {@link AUDIT_EVENT_TYPES}. */
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

const KNOWN_TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);

/** True when `value` is a type of the catalogue. */
export function isAuditEventType(value: string): value is AuditEventType {
  return KNOWN_TYPES.has(value);
}
