import { z } from 'zod';
import { GRANT_TYPES, TOKEN_ENDPOINT_AUTH_METHODS } from './client.entity';

/** RFC 6749 s3.3: scope-token = 1*NQCHAR. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Every registered client_id has this form; no other can exist. */
export const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const MAX_TTL = 86_400; // seconds; also how long retired signing keys stay published

function absoluteUri(value: string, allowHttp: (url: URL) => boolean): boolean {
  try {
    const url = new URL(value);
    if (url.hash || value.includes('#')) return false; // RFC 6749 s3.1.2: no fragment
    return url.protocol === 'https:' || (url.protocol === 'http:' && allowHttp(url)) || (!['http:', 'https:', 'javascript:', 'data:', 'file:'].includes(url.protocol) && url.protocol.includes('.'));
  } catch {
    return false;
  }
}

/**
 * True when a string anywhere in `value` (member names included) holds U+0000, which
 * PostgreSQL text and jsonb cannot store: such metadata would fail at the INSERT. Walks
 * with a stack, not recursion: a `jwks` member may nest as deep as the body limit allows.
 */
function holdsNul(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string' && next.includes('\u0000')) return true;
    if (typeof next === 'object' && next !== null) {
      for (const [name, member] of Object.entries(next)) {
        if (name.includes('\u0000')) return true;
        pending.push(member);
      }
    }
  }
  return false;
}

const isLoopbackOrLocal = (url: URL) => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || process.env['NODE_ENV'] !== 'production';

const scope = z
  .string()
  .max(2048)
  .refine((s) => s === '' || s.split(' ').every((t) => SCOPE_TOKEN.test(t)), 'space-separated scope tokens (RFC 6749 s3.3)');

const grantTypes = z
  .array(z.string())
  .min(1)
  .max(3)
  .superRefine((grants, ctx) => {
    for (const grant of grants) {
      if (grant === 'password' || grant === 'implicit') {
        ctx.addIssue({ code: 'custom', message: `${grant} is not supported (RFC 9700 s2.4, s2.1.2)` });
      } else if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
        ctx.addIssue({ code: 'custom', message: `unknown grant type; use ${GRANT_TYPES.join(', ')}` });
      }
    }
  })
  .transform((g) => [...new Set(g)] as (typeof GRANT_TYPES)[number][]);

/**
 * Client metadata as RFC 7591 names it, plus `post_logout_redirect_uris` (RP-Initiated
 * Logout 1.0 s3.1), `skip_consent`, TTLs and `resources`.
 */
export const clientMetadataSchema = z
  .object({
    client_id: z.string().regex(CLIENT_ID, 'letters, digits and . _ ~ - (1 to 128)').optional(),
    client_secret: z.string().min(32, 'at least 32 characters').max(512).optional(),
    client_name: z.string().max(200).optional(),
    grant_types: grantTypes,
    redirect_uris: z
      .array(z.string().max(2048).refine((u) => absoluteUri(u, isLoopbackOrLocal), 'an absolute URI without fragment; http only for localhost'))
      .max(20)
      .default([]),
    // OpenID Connect RP-Initiated Logout 1.0 s3.1: where the client may be sent after sign-out,
    // validated like redirect_uris and later compared exactly (see logout/post-logout-redirect-uri.ts).
    post_logout_redirect_uris: z
      .array(z.string().max(2048).refine((u) => absoluteUri(u, isLoopbackOrLocal), 'an absolute URI without fragment; http only for localhost'))
      .max(20)
      .default([]),
    scope: scope.default(''),
    token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).default('client_secret_basic'),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(10) }).optional(),
    jwks_uri: z.string().max(2048).refine((u) => absoluteUri(u, isLoopbackOrLocal), 'an https URL').optional(),
    resources: z.array(z.string().max(2048).refine((u) => absoluteUri(u, () => true), 'an absolute URI without fragment (RFC 8707 s2)')).max(20).default([]),
    skip_consent: z.boolean().default(false),
    access_token_ttl: z.number().int().min(30).max(MAX_TTL).optional(),
    refresh_token_ttl: z.number().int().min(60).max(31_536_000).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const method = c.token_endpoint_auth_method;
    if (method === 'none' && c.grant_types.includes('client_credentials')) {
      ctx.addIssue({ code: 'custom', path: ['grant_types'], message: 'a public client (auth method none) cannot use client_credentials' });
    }
    if (method === 'none' && c.client_secret) {
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'a public client has no secret' });
    }
    if (method === 'private_key_jwt' && !c.jwks === !c.jwks_uri) {
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'private_key_jwt needs exactly one of jwks and jwks_uri' });
    }
    if (method === 'private_key_jwt' && c.client_secret) {
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'a private_key_jwt client has no secret' });
    }
    if (c.grant_types.includes('authorization_code') && c.redirect_uris.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['redirect_uris'], message: 'authorization_code needs at least one redirect URI' });
    }
    if (c.jwks?.keys.some((k) => 'd' in k || 'p' in k || 'k' in k)) {
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'jwks must hold public keys only' });
    }
    if (holdsNul(c)) ctx.addIssue({ code: 'custom', message: 'no value may contain U+0000' });
  });

export type ClientMetadataInput = z.input<typeof clientMetadataSchema>;
export type ClientMetadata = z.output<typeof clientMetadataSchema>;

/**
 * Partial update: the same members, each optional; `client_id` and `client_secret` cannot
 * change here. `null` clears an optional member.
 */
export const clientUpdateSchema = z
  .object({
    client_name: z.string().max(200).nullable().optional(),
    grant_types: grantTypes.optional(),
    redirect_uris: z.array(z.string().max(2048)).max(20).optional(),
    post_logout_redirect_uris: z.array(z.string().max(2048)).max(20).optional(),
    scope: scope.optional(),
    token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).optional(),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(10) }).nullable().optional(),
    jwks_uri: z.string().max(2048).nullable().optional(),
    resources: z.array(z.string().max(2048)).max(20).optional(),
    skip_consent: z.boolean().optional(),
    access_token_ttl: z.number().int().min(30).max(MAX_TTL).nullable().optional(),
    refresh_token_ttl: z.number().int().min(60).max(31_536_000).nullable().optional(),
  })
  .strict();

/** The problems of a zod failure as `member: message` lines, never echoing values. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}
