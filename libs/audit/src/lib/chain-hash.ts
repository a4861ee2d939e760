import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditEvent } from './audit-event.interface';

/** The hash before the first event: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The members of an event that its hash covers: everything but the hash itself. */
export type ChainedContent = Omit<AuditEvent, 'hash'>;

/**
 * hash(n) = SHA-256(hash(n-1) || JCS(content(n))), hex. JCS is the JSON Canonicalization
 * Scheme (RFC 8785), so the digest does not depend on key order or on how PostgreSQL's
 * jsonb re-serialises the details.
 */
export function chainHash(previousHash: string, content: ChainedContent): string {
  const canonical = canonicalize({
    id: content.id,
    seq: content.seq,
    occurredAt: content.occurredAt,
    type: content.type,
    outcome: content.outcome,
    actor: content.actor,
    subject: content.subject,
    ip: content.ip,
    userAgent: content.userAgent,
    requestId: content.requestId,
    details: content.details,
  });
  if (canonical === undefined) throw new TypeError('audit event content cannot be canonicalised');
  return createHash('sha256').update(previousHash).update(canonical).digest('hex');
}
