import type { AcceptedAlgorithm, AuthModuleOptions } from './auth-options.interface';
import { AccessTokenVerifier } from './jwt/access-token.verifier';
import { KeySource } from './keys/key-source';
import { RequestAuthenticator } from './request-authenticator';
import { RevocationChecker } from './revocation/revocation-checker';

const DEFAULT_ALGORITHMS: readonly AcceptedAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const ALLOWED_ALGORITHMS = new Set<string>(DEFAULT_ALGORITHMS);
const DEFAULT_CLOCK_TOLERANCE_S = 30;
const MAX_CLOCK_TOLERANCE_S = 300;

/** Misconfiguration of `AuthModule`: the process stops at boot with a message saying what to set. */
export class AuthConfigurationError extends Error {
  override readonly name = 'AuthConfigurationError';
}

/**
 * Validates the options once and builds the verification pipeline.
 * @throws AuthConfigurationError naming the option and the expected form.
 */
export function createRequestAuthenticator(options: AuthModuleOptions): RequestAuthenticator {
  const { issuer, audience } = options;
  if (typeof issuer !== 'string' || !isHttpUrl(issuer)) {
    throw new AuthConfigurationError('AuthModule: `issuer` is required: the authorization server issuer URL, e.g. https://auth.example.com');
  }
  const audiences = typeof audience === 'string' ? [audience] : audience;
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a === '')) {
    throw new AuthConfigurationError('AuthModule: `audience` is required: this API\'s identifier (a string or a non-empty array), e.g. https://api.example.com');
  }
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  if (algorithms.length === 0 || algorithms.some((alg) => !ALLOWED_ALGORITHMS.has(alg))) {
    throw new AuthConfigurationError(`AuthModule: \`algorithms\` must be a non-empty subset of ${DEFAULT_ALGORITHMS.join(', ')} (never none or HMAC, RFC 8725 s3.1)`);
  }
  const clockToleranceSeconds = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_S;
  if (!Number.isInteger(clockToleranceSeconds) || clockToleranceSeconds < 0 || clockToleranceSeconds > MAX_CLOCK_TOLERANCE_S) {
    throw new AuthConfigurationError(`AuthModule: \`clockToleranceSeconds\` must be a whole number from 0 to ${MAX_CLOCK_TOLERANCE_S}`);
  }
  if (options.cookie && (!options.cookie.name || !options.cookie.allowedOrigins?.length)) {
    throw new AuthConfigurationError('AuthModule: `cookie` needs a `name` and at least one `allowedOrigins` entry (CSRF defence)');
  }
  const fetchFn = options.fetch ?? fetch;
  const keys = new KeySource({
    issuer,
    jwksUri: options.keys?.jwksUri,
    local: options.keys?.local,
    algorithms,
    fetch: fetchFn,
  });
  const verifier = new AccessTokenVerifier(keys, {
    issuer,
    audience: audiences,
    algorithms,
    clockToleranceSeconds,
    cacheSize: options.verifiedCacheSize ?? 10_000,
    now: options.now ?? (() => Math.floor(Date.now() / 1000)),
  });
  const revocation = new RevocationChecker(options.revocation ?? { strategy: 'none' }, issuer, fetchFn);
  return new RequestAuthenticator(verifier, revocation, options);
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
