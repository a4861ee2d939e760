/** Parameters that may be repeated in an authorization request: `resource` (RFC 8707 s2). */
const MULTI_VALUED: ReadonlySet<string> = new Set(['resource']);

const MAX_PARAMETERS = 50; // a real request has about a dozen

/**
 * The parameters of an authorization request (query string or form body), as read once at
 * the boundary. Nothing is refused here: the checks in `authorization-request.ts` decide, in
 * their order, which problem a request is refused for and whether the answer may redirect.
 */
export class AuthorizationParameters {
  private constructor(
    private readonly values: ReadonlyMap<string, readonly string[]>,
    /** True when the input was not a flat map of strings (nested objects, too many names). */
    readonly malformed: boolean,
  ) {}

  /**
   * Reads Fastify's parsed query or form body: each name maps to a string, or to an array
   * when it was repeated.
   */
  static from(input: unknown): AuthorizationParameters {
    const values = new Map<string, string[]>();
    if (input === null || input === undefined || typeof input !== 'object') return new AuthorizationParameters(values, input !== undefined && input !== null);
    const entries = Object.entries(input as Record<string, unknown>);
    let malformed = entries.length > MAX_PARAMETERS;
    for (const [name, value] of entries.slice(0, MAX_PARAMETERS)) {
      const list = Array.isArray(value) ? value : [value];
      if (list.some((v) => typeof v !== 'string')) {
        malformed = true;
        continue;
      }
      values.set(name, list as string[]);
    }
    return new AuthorizationParameters(values, malformed);
  }

  /**
   * The value of a single-valued parameter. An empty value counts as absent (RFC 6749
   * s3.1); a repeated parameter has no trustworthy value and reads as absent too (callers
   * refuse repetitions first, see {@link repeated}).
   */
  get(name: string): string | undefined {
    const list = this.values.get(name);
    return list && list.length === 1 && list[0] !== '' ? list[0] : undefined;
  }

  /** True when the name was sent at all, even with an empty value. */
  has(name: string): boolean {
    return this.values.has(name);
  }

  /**
   * True when `name` was sent more than once (RFC 6749 s3.1: "Request and response
   * parameters MUST NOT be included more than once"), empty values included.
   */
  repeated(name: string): boolean {
    return (this.values.get(name)?.length ?? 0) > 1;
  }

  /** Names sent more than once, other than the multi-valued ones. */
  repeatedNames(): string[] {
    return [...this.values.keys()].filter((name) => !MULTI_VALUED.has(name) && this.repeated(name));
  }
}
