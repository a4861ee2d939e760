import { OAuthError } from './oauth-error';

/** Parameters that may be repeated: `resource` (RFC 8707 s2). */
const MULTI_VALUED = new Set(['resource']);

/** Request parameters of an OAuth endpoint, each present at most once unless multi-valued. */
export class FormParameters {
  constructor(
    private readonly single: ReadonlyMap<string, string>,
    private readonly multi: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {}

  get(name: string): string | undefined {
    return this.single.get(name);
  }

  has(name: string): boolean {
    return this.single.has(name) || this.multi.has(name);
  }

  /** Every value of a multi-valued parameter, in order. */
  all(name: string): readonly string[] {
    return this.multi.get(name) ?? [];
  }
}

const MAX_PARAMETERS = 50;

/**
 * Validates a form-encoded body once, at the boundary: it must be
 * `application/x-www-form-urlencoded` (RFC 6749 s3.2, RFC 7009 s2.1, RFC 7662 s2.1), no
 * parameter may repeat (RFC 6749 s3.1, s3.2: "MUST NOT be included more than once"), and
 * an empty value counts as absent (RFC 6749 s3.1).
 *
 * @throws OAuthError `invalid_request`.
 */
export function formParameters(contentType: string | undefined, body: unknown): FormParameters {
  if (!contentType || contentType.split(';')[0]?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'The request body must be application/x-www-form-urlencoded.');
  }
  if (body === null || typeof body !== 'object') return new FormParameters(new Map());
  const entries = Object.entries(body as Record<string, unknown>);
  if (entries.length > MAX_PARAMETERS) throw new OAuthError('invalid_request', 'Too many parameters.');
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (const [name, value] of entries) {
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v !== 'string')) throw new OAuthError('invalid_request', `Parameter ${safeName(name)} is malformed.`);
    const present = (values as string[]).filter((v) => v !== '');
    if (MULTI_VALUED.has(name)) {
      if (present.length > 10) throw new OAuthError('invalid_request', `Too many ${safeName(name)} values.`);
      if (present.length) multi.set(name, present);
    } else if (values.length > 1) {
      throw new OAuthError('invalid_request', `Parameter ${safeName(name)} is repeated.`);
    } else if (present[0] !== undefined) {
      single.set(name, present[0]);
    }
  }
  return new FormParameters(single, multi);
}

/** A parameter name fit to appear in an error description. */
function safeName(name: string): string {
  return /^[a-z_]{1,40}$/.test(name) ? name : '(unnamed)';
}
