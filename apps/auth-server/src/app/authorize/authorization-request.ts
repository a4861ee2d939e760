import type { ClientEntity } from '../clients/client.entity';
import { OAuthError } from '../oauth/oauth-error';
import { resolveScope } from '../oauth/grant-checks';
import { AuthorizationError, AuthorizationPageError } from './authorization-errors';
import type { AuthorizationParameters } from './authorization-parameters';
import { pkceProblem } from './pkce';
import { redirectUriRegistered } from './redirect-uri';

/** OIDC Core 1.0 s3.1.2.1 `prompt` values. */
export type PromptValue = 'none' | 'login' | 'consent' | 'select_account';
const PROMPT_VALUES: ReadonlySet<string> = new Set<PromptValue>(['none', 'login', 'consent', 'select_account']);

const NONCE_MAX_LENGTH = 512; // characters; the nonce is stored with the code and echoed in the ID token
const LOGIN_HINT_MAX_LENGTH = 320; // characters: the longest email address (RFC 5321 s4.5.3.1)
const MAX_AGE = /^\d{1,9}$/; // seconds; non-negative integer (OIDC Core 1.0 s3.1.2.1)

/** A validated authorization request (RFC 6749 s4.1.1, RFC 7636 s4.3, OIDC Core 1.0 s3.1.2.1). */
export interface AuthorizationRequest {
  readonly clientId: string;
  /** The redirect URI the code goes to: the one sent, or the client's only registered one. */
  readonly redirectUri: string;
  /** Whether `redirect_uri` was in the request; the token request must then repeat it (RFC 6749 s4.1.3). */
  readonly redirectUriSent: boolean;
  /** Echoed exactly in every redirect (RFC 6749 s4.1.2). */
  readonly state: string | undefined;
  readonly scope: readonly string[];
  readonly codeChallenge: string;
  readonly nonce: string | undefined;
  readonly prompt: readonly PromptValue[];
  /** Seconds; `0` forces a new sign-in like `prompt=login`. */
  readonly maxAge: number | undefined;
  readonly loginHint: string | undefined;
  /**
   * The session whose sign-in happened for this very request (set by the login form). It
   * satisfies `prompt=login` and `max_age`, so a fresh sign-in never loops back to the form.
   */
  readonly authenticatedSessionId?: string;
}

/** Where a refused request's error goes: the client's verified redirect URI, with its `state`. */
export interface ErrorRedirect {
  readonly redirectUri: string;
  readonly state: string | undefined;
  readonly error: AuthorizationError;
}

/** The outcome of validation once the client and redirect URI are known good. */
export type AuthorizationRequestResult =
  | { readonly ok: true; readonly client: ClientEntity; readonly request: AuthorizationRequest }
  | { readonly ok: false; readonly client: ClientEntity; readonly refusal: ErrorRedirect };

/** One check of the redirect phase: throws {@link AuthorizationError} for its one reason. */
type RequestCheck = (params: AuthorizationParameters, client: ClientEntity) => void;

/**
 * The checks that run once the redirect URI is trusted, in order. Each has one reason to
 * fail, and its error goes back to the client by redirect.
 */
export const REQUEST_CHECKS: readonly RequestCheck[] = [
  assertNoRepeatedParameters,
  assertNoRequestObject,
  assertNoRequestUri,
  assertResponseTypeCode,
  assertResponseModeQuery,
  assertClientMayUseCodeGrant,
  assertPkceS256,
  assertScopeAllowed,
  assertPromptValid,
  assertMaxAgeValid,
  assertNonceBounded,
];

/**
 * Validates an authorization request. First, with an error page and never a redirect
 * (RFC 6749 s4.1.2.1): {@link assertClientIdSent}, {@link assertClientKnown},
 * {@link assertRedirectUriRegistered}. Then {@link REQUEST_CHECKS}, whose failures
 * redirect to the client.
 *
 * @throws AuthorizationPageError for the first three.
 */
export async function validateAuthorizationRequest(
  params: AuthorizationParameters,
  findClient: (clientId: string) => Promise<ClientEntity | undefined>,
): Promise<AuthorizationRequestResult> {
  const client = assertClientKnown(await findClient(assertClientIdSent(params)));
  const redirectUri = assertRedirectUriRegistered(params, client);
  const state = params.get('state');
  try {
    for (const check of REQUEST_CHECKS) check(params, client);
    return { ok: true, client, request: buildRequest(params, client, redirectUri, state) };
  } catch (error) {
    if (error instanceof AuthorizationError) return { ok: false, client, refusal: { redirectUri, state, error } };
    throw error;
  }
}

/** The validated request; runs after {@link REQUEST_CHECKS}, so every value read here has passed its check. */
function buildRequest(params: AuthorizationParameters, client: ClientEntity, redirectUri: string, state: string | undefined): AuthorizationRequest {
  const codeChallenge = params.get('code_challenge');
  if (codeChallenge === undefined) throw new AuthorizationError('invalid_request', 'code_challenge is required (PKCE).');
  const maxAge = params.get('max_age');
  return {
    clientId: client.clientId,
    redirectUri,
    redirectUriSent: params.get('redirect_uri') !== undefined,
    state,
    scope: resolveScope(params.get('scope'), allowedScope(client)),
    codeChallenge,
    nonce: params.get('nonce'),
    prompt: promptValues(params),
    maxAge: maxAge === undefined ? undefined : Number(maxAge),
    loginHint: boundedLoginHint(params.get('login_hint')),
  };
}

/** RFC 6749 s4.1.1: `client_id` is required, once; without it there is nowhere safe to redirect. */
export function assertClientIdSent(params: AuthorizationParameters): string {
  if (params.malformed) throw new AuthorizationPageError('invalid_request', 'The sign-in request is malformed.');
  if (params.repeated('client_id')) throw new AuthorizationPageError('invalid_client', 'The sign-in request names its application more than once.');
  const clientId = params.get('client_id');
  if (clientId === undefined) throw new AuthorizationPageError('invalid_client', 'The sign-in request does not name an application.');
  return clientId;
}

/** An unknown client gets a page: its redirect URI cannot be trusted (RFC 6749 s4.1.2.1). */
export function assertClientKnown(client: ClientEntity | undefined): ClientEntity {
  if (!client) throw new AuthorizationPageError('invalid_client', 'The application that sent you here is not registered.');
  return client;
}

/**
 * The redirect URI, compared exactly with the registered ones (RFC 9700 s4.1.3; RFC 8252
 * s7.3 loopback ports). It may be omitted only when the client registered exactly one
 * (RFC 6749 s3.1.2.3). Any failure is a page, never a redirect (RFC 6749 s4.1.2.1).
 */
export function assertRedirectUriRegistered(params: AuthorizationParameters, client: ClientEntity): string {
  if (params.repeated('redirect_uri')) throw new AuthorizationPageError('invalid_redirect_uri', 'The sign-in request names more than one return address.');
  const requested = params.get('redirect_uri');
  if (requested === undefined) {
    const [only] = client.redirectUris;
    if (only !== undefined && client.redirectUris.length === 1) return only;
    throw new AuthorizationPageError('invalid_redirect_uri', 'The sign-in request does not say where to return.');
  }
  if (!redirectUriRegistered(client, requested)) {
    throw new AuthorizationPageError('invalid_redirect_uri', 'The sign-in request asks to return to an address not registered for the application.');
  }
  return requested;
}

/** RFC 6749 s3.1: no parameter may be included more than once (`resource` excepted, RFC 8707 s2). */
export function assertNoRepeatedParameters(params: AuthorizationParameters): void {
  if (params.repeatedNames().length > 0) throw new AuthorizationError('invalid_request', 'A parameter is repeated.');
}

/** OIDC Core 1.0 s6: request objects are not supported. */
export function assertNoRequestObject(params: AuthorizationParameters): void {
  if (params.has('request')) throw new AuthorizationError('request_not_supported', 'Request objects are not supported.');
}

/** OIDC Core 1.0 s6.2 / RFC 9126: `request_uri` is not supported. */
export function assertNoRequestUri(params: AuthorizationParameters): void {
  if (params.has('request_uri')) throw new AuthorizationError('request_uri_not_supported', 'request_uri is not supported.');
}

/** RFC 6749 s4.1.1 / s3.1.1: `response_type=code` only (no implicit or hybrid, RFC 9700 s2.1.2). */
export function assertResponseTypeCode(params: AuthorizationParameters): void {
  const responseType = params.get('response_type');
  if (responseType === undefined) throw new AuthorizationError('invalid_request', 'response_type is required.');
  if (responseType !== 'code') throw new AuthorizationError('unsupported_response_type', 'Only response_type=code is supported.');
}

/** OAuth 2.0 Multiple Response Type Encoding Practices s2.1: only the `query` response mode. */
export function assertResponseModeQuery(params: AuthorizationParameters): void {
  const mode = params.get('response_mode');
  if (params.has('response_mode') && mode !== 'query') throw new AuthorizationError('invalid_request', 'Only response_mode=query is supported.');
}

/** RFC 6749 s4.1.2.1 `unauthorized_client`: the client is not registered for the code grant. */
export function assertClientMayUseCodeGrant(_params: AuthorizationParameters, client: ClientEntity): void {
  if (!client.grantTypes.includes('authorization_code')) {
    throw new AuthorizationError('unauthorized_client', 'This client may not use the authorization code grant.');
  }
}

/** RFC 9700 s2.1.1 and OAuth 2.1: PKCE with S256 from every client; `plain` refused (RFC 7636 s4.4.1). */
export function assertPkceS256(params: AuthorizationParameters): void {
  const problem = pkceProblem(params.get('code_challenge'), params.get('code_challenge_method'));
  if (problem === 'challenge_missing') throw new AuthorizationError('invalid_request', 'code_challenge is required (PKCE).');
  if (problem === 'method_not_s256') throw new AuthorizationError('invalid_request', 'code_challenge_method must be S256.');
  if (problem === 'challenge_malformed') throw new AuthorizationError('invalid_request', 'code_challenge is malformed.');
}

/** RFC 6749 s3.3, s4.1.2.1 `invalid_scope`: only scopes the client may have. */
export function assertScopeAllowed(params: AuthorizationParameters, client: ClientEntity): void {
  try {
    resolveScope(params.get('scope'), allowedScope(client));
  } catch (error) {
    if (error instanceof OAuthError) throw new AuthorizationError('invalid_scope', 'The requested scope is invalid or exceeds what this client may have.');
    throw error;
  }
}

/** OIDC Core 1.0 s3.1.2.1: known `prompt` values only, and `none` with no other value. */
export function assertPromptValid(params: AuthorizationParameters): void {
  const raw = params.get('prompt');
  if (raw === undefined) return;
  const values = raw.split(' ');
  if (values.some((v) => !PROMPT_VALUES.has(v))) throw new AuthorizationError('invalid_request', 'prompt has an unsupported value.');
  if (values.includes('none') && values.length > 1) throw new AuthorizationError('invalid_request', 'prompt=none cannot be combined with other values.');
}

/** OIDC Core 1.0 s3.1.2.1: `max_age` is a non-negative number of seconds. */
export function assertMaxAgeValid(params: AuthorizationParameters): void {
  const raw = params.get('max_age');
  if (raw !== undefined && !MAX_AGE.test(raw)) throw new AuthorizationError('invalid_request', 'max_age must be a non-negative integer.');
}

/**
 * The nonce is stored with the code and returned in the ID token (OIDC Core 1.0 s3.1.2.1):
 * bounded, and without U+0000, which PostgreSQL text cannot hold (the code could not be stored).
 */
export function assertNonceBounded(params: AuthorizationParameters): void {
  const nonce = params.get('nonce');
  if (nonce !== undefined && nonce.length > NONCE_MAX_LENGTH) throw new AuthorizationError('invalid_request', 'nonce is too long.');
  if (nonce?.includes('\u0000')) throw new AuthorizationError('invalid_request', 'nonce is malformed.');
}

function allowedScope(client: ClientEntity): string[] {
  return client.scope.split(' ').filter(Boolean);
}

function promptValues(params: AuthorizationParameters): PromptValue[] {
  return [...new Set((params.get('prompt') ?? '').split(' ').filter(Boolean))] as PromptValue[];
}

/** A hint only prefills a field: an unusable one is dropped, not refused. */
function boundedLoginHint(hint: string | undefined): string | undefined {
  return hint !== undefined && hint.length <= LOGIN_HINT_MAX_LENGTH ? hint : undefined;
}
