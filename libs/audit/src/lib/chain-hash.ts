import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditEvent, AuditParty } from './audit-event.interface';

/** The hash before the first event: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The members of an event that its hash covers: everything but the hash itself. */
export type ChainedContent = Omit<AuditEvent, 'hash'>;

/**
 * hash(n) = SHA-256(hash(n-1) || JCS(content(n))), hex, where content(n) is the event with
 * `seq` = n (passed apart, so that the writer need not copy each event to add it). JCS is the JSON Canonicalization
 * Scheme (RFC 8785), so the digest does not depend on key order or on how PostgreSQL's
 * jsonb re-serialises the details.
 */
export function chainHash(previousHash: string, content: Omit<ChainedContent, 'seq'>, seq: string): string {
  return createHash('sha256').update(previousHash).update(canonicalContent(content, seq)).digest('hex');
}

/**
 * JCS (RFC 8785) of an event's content, the same text `canonicalize` gives for the whole
 * object. The envelope's members are fixed, so they are written here already in the order
 * of s3.2.3 (UTF-16 code units: actor, details, id, ip, occurredAt, outcome, requestId, seq,
 * subject, type, userAgent), strings through JSON.stringify as s3.2.2.2 prescribes; only the
 * free-form `details` go through the `canonicalize` library. Every event written and every
 * event verified takes this path, so it is kept cheap; chain-hash.spec.ts holds it equal to
 * `canonicalize` of the whole object.
 */
export function canonicalContent(content: Omit<ChainedContent, 'seq'>, seq: string): string {
  const details = canonicalize(content.details);
  if (details === undefined) throw new TypeError('audit event details cannot be canonicalised');
  return object([
    member('actor', party(content.actor)),
    member('details', details),
    member('id', text(content.id)),
    member('ip', text(content.ip)),
    member('occurredAt', text(content.occurredAt)),
    member('outcome', text(content.outcome)),
    member('requestId', text(content.requestId)),
    member('seq', text(seq)),
    member('subject', party(content.subject)),
    member('type', text(content.type)),
    member('userAgent', text(content.userAgent)),
  ]);
}

/** `"name":json`, or nothing for an undefined value (JCS, like JSON, omits it). */
function member(name: string, json: string | undefined): string | undefined {
  return json === undefined ? undefined : `"${name}":${json}`;
}

function text(value: string | null | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === null) return 'null';
  if (typeof value !== 'string') throw new TypeError('audit event content cannot be canonicalised');
  return JSON.stringify(value);
}

function party(value: AuditParty | null | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === null) return 'null';
  return object([member('id', text(value.id)), member('type', text(value.type))]);
}

function object(members: readonly (string | undefined)[]): string {
  return `{${members.filter((m) => m !== undefined).join(',')}}`;
}
