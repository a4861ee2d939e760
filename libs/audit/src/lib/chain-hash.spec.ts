import { randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { JsonValue } from './audit-event.interface';
import { canonicalContent, chainHash, GENESIS_HASH, type ChainedContent } from './chain-hash';

/** Strings that exercise JCS string escaping: quotes, controls, non-ASCII, astral planes. */
const AWKWARD = ['', 'plain', 'quote " and \\ backslash', 'tab\tnew\nline\u0001\u001f', 'é', '\u2028\u2029', '😀 emoji', '</script>', '€uro'];

function pick<T>(items: readonly T[], i: number): T {
  return items[i % items.length]!;
}

function details(i: number): Record<string, JsonValue> {
  return {
    zeta: pick(AWKWARD, i),
    alpha: i,
    Beta: [1.5, -0, 1e21, 1e-7, pick(AWKWARD, i + 1), null, true],
    nested: { b: { c: pick(AWKWARD, i + 2) }, a: false, '😀': 1, é: 2, e: 3, '\u00e9\u0301': 4 },
    ...(i % 3 === 0 ? {} : { empty: {}, list: [] }),
  };
}

function content(i: number): ChainedContent {
  return {
    id: randomUUID(),
    seq: String(i + 1),
    occurredAt: new Date(1_700_000_000_000 + i).toISOString(),
    type: 'token.issued',
    outcome: i % 2 ? 'success' : 'failure',
    actor: i % 4 === 0 ? null : { type: pick(['client', 'user', 'system'], i), id: pick(AWKWARD, i + 3) },
    subject: i % 5 === 0 ? null : { type: 'user', id: randomUUID() },
    ip: i % 2 ? '127.0.0.1' : null,
    userAgent: i % 3 ? pick(AWKWARD, i + 4) : null,
    requestId: i % 2 ? randomUUID() : null,
    details: details(i),
  };
}

describe('canonicalContent (RFC 8785)', () => {
  it('writes exactly what the canonicalize library writes for the whole event', () => {
    for (let i = 0; i < 200; i++) {
      const event = content(i);
      expect(canonicalContent(event, event.seq)).toBe(canonicalize(event));
    }
  });

  it('omits undefined members as canonicalize does (rows mapped from older shapes)', () => {
    const event = { ...content(1), ip: undefined, subject: undefined } as unknown as ChainedContent;
    expect(canonicalContent(event, event.seq)).toBe(canonicalize(event));
    expect(canonicalContent(event, event.seq)).not.toContain('"ip"');
  });

  it('does not depend on the order of members', () => {
    const event = content(7);
    const reversed = Object.fromEntries(Object.entries(event).reverse()) as unknown as ChainedContent;
    expect(canonicalContent(reversed, reversed.seq)).toBe(canonicalContent(event, event.seq));
  });

  it('chains: the hash changes with the previous hash and with any member', () => {
    const event = content(2);
    const hash = chainHash(GENESIS_HASH, event, event.seq);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(hash, event, event.seq)).not.toBe(hash);
    expect(chainHash(GENESIS_HASH, event, '999')).not.toBe(hash);
    expect(chainHash(GENESIS_HASH, { ...event, outcome: event.outcome === 'success' ? 'failure' : 'success' }, event.seq)).not.toBe(hash);
    expect(chainHash(GENESIS_HASH, { ...event, details: { ...event.details, alpha: 99 } }, event.seq)).not.toBe(hash);
  });

  it('refuses a non-string where the envelope holds a string', () => {
    expect(() => canonicalContent({ ...content(3), ip: 42 as unknown as string }, '1')).toThrow(TypeError);
  });
});
