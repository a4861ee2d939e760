import { HttpStatus } from '@nestjs/common';
import type { AuthorizationParameters } from '../authorize/authorization-parameters';
import type { ClientEntity } from '../clients/client.entity';
import { EndSessionError } from './end-session-errors';
import type { IdTokenHint } from './id-token-hint.verifier';
import { postLogoutRedirectUriRegistered } from './post-logout-redirect-uri';

/** Parameters of OpenID Connect RP-Initiated Logout 1.0 s2 (and the confirmation form's token). */
const SINGLE_VALUED = ['id_token_hint', 'logout_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'ui_locales', 'csrf_token'] as const;
const STATE_MAX_LENGTH = 2_048; // characters; echoed into a URL, which must stay usable

/** A validated end-session request. */
export interface EndSessionRequest {
  /** The verified `id_token_hint`; undefined when absent or not an ID token of this server. */
  readonly hint: IdTokenHint | undefined;
  /** The client, from the hint or `client_id`; undefined when neither names one. */
  readonly client: ClientEntity | undefined;
  /** A registered `post_logout_redirect_uri` of {@link client}; undefined when none was sent. */
  readonly postLogoutRedirectUri: string | undefined;
  /** Echoed exactly in the redirect (s2); only with {@link postLogoutRedirectUri}. */
  readonly state: string | undefined;
}

/** What the checks need from outside: hint verification and the client registry. */
export interface EndSessionLookups {
  verifyHint(token: string | undefined): IdTokenHint | undefined;
  findClient(clientId: string): Promise<ClientEntity | undefined>;
}

/**
 * Validates an end-session request, in this order, each step with one reason to fail
 * (all failures are pages, never redirects):
 * {@link assertParametersReadable}, {@link assertNoRepeatedParameters},
 * {@link readIdTokenHint}, {@link assertClientIdMatchesHint}, {@link assertClientKnown},
 * {@link assertPostLogoutRedirectUriRegistered}, {@link assertStateBounded}.
 * `logout_hint` and `ui_locales` are read for repetition only and otherwise ignored.
 *
 * @throws EndSessionError for the first failing check.
 */
export async function validateEndSessionRequest(params: AuthorizationParameters, lookups: EndSessionLookups): Promise<EndSessionRequest> {
  assertParametersReadable(params);
  assertNoRepeatedParameters(params);
  const hint = readIdTokenHint(params, lookups);
  const clientId = assertClientIdMatchesHint(params, hint);
  const client = clientId === undefined ? undefined : assertClientKnown(await lookups.findClient(clientId));
  const postLogoutRedirectUri = assertPostLogoutRedirectUriRegistered(params, client);
  const state = assertStateBounded(params);
  return { hint, client, postLogoutRedirectUri, state: postLogoutRedirectUri === undefined ? undefined : state };
}

/** A query or form that is not a flat map of strings is not a request. */
export function assertParametersReadable(params: AuthorizationParameters): void {
  if (params.malformed) throw new EndSessionError('invalid_request', 'The sign-out request is malformed.');
}

/**
 * RFC 6749 s3.1, which OIDC requests follow: no parameter more than once. A repeated
 * `post_logout_redirect_uri` or `client_id` has no trustworthy value.
 */
export function assertNoRepeatedParameters(params: AuthorizationParameters): void {
  if (params.repeatedNames().length > 0 || SINGLE_VALUED.some((name) => params.repeated(name))) {
    throw new EndSessionError('invalid_request', 'A parameter of the sign-out request is repeated.');
  }
}

/**
 * RP-Initiated Logout 1.0 s2: the OP validates that it issued the `id_token_hint`. One it
 * did not issue (forged, altered, another issuer's, an access token) is not an error but
 * no hint at all: the user is then asked to confirm (s2: the OP SHOULD ask when the
 * logout was not requested by the RP it claims), and the session is never ended silently.
 */
export function readIdTokenHint(params: AuthorizationParameters, lookups: Pick<EndSessionLookups, 'verifyHint'>): IdTokenHint | undefined {
  return lookups.verifyHint(params.get('id_token_hint'));
}

/**
 * RP-Initiated Logout 1.0 s2: with both `client_id` and a verified hint, the hint's client
 * must be `client_id`; else client B could send a user, with client A's hint, to B's
 * redirect URI as if A had asked. Returns the client named, if any.
 */
export function assertClientIdMatchesHint(params: AuthorizationParameters, hint: IdTokenHint | undefined): string | undefined {
  const clientId = params.get('client_id');
  if (clientId !== undefined && hint !== undefined && clientId !== hint.clientId) {
    throw new EndSessionError('invalid_request', 'The sign-out request names two different applications.');
  }
  return hint?.clientId ?? clientId;
}

/** An unknown client has no registered URI to trust: a page, never a redirect. */
export function assertClientKnown(client: ClientEntity | undefined): ClientEntity {
  if (!client) throw new EndSessionError('invalid_client', 'The application that sent you here is not registered.');
  return client;
}

/**
 * RP-Initiated Logout 1.0 s2, s3.1: `post_logout_redirect_uri` needs a client (from the
 * hint or `client_id`) and must be one of its registered URIs, compared exactly (see
 * {@link postLogoutRedirectUriRegistered} for the one documented fallback). Any failure
 * is a page, never a redirect (RFC 9700 s4.11: no open redirector).
 */
export function assertPostLogoutRedirectUriRegistered(params: AuthorizationParameters, client: ClientEntity | undefined): string | undefined {
  const requested = params.get('post_logout_redirect_uri');
  if (requested === undefined) return undefined;
  if (client === undefined) {
    throw new EndSessionError('invalid_request', 'The sign-out request gives a return address but does not name its application.');
  }
  if (!postLogoutRedirectUriRegistered(client, requested)) {
    throw new EndSessionError('invalid_post_logout_redirect_uri', 'The sign-out request asks to return to an address not registered for the application.');
  }
  return requested;
}

/** `state` is echoed into the redirect: bounded. */
export function assertStateBounded(params: AuthorizationParameters): string | undefined {
  const state = params.get('state');
  if (state !== undefined && state.length > STATE_MAX_LENGTH) throw new EndSessionError('invalid_request', 'The sign-out request state is too long.');
  return state;
}

/** The post-logout redirect with `state` appended (s2: passed back "as is"). */
export function postLogoutLocation(request: EndSessionRequest): string | undefined {
  if (request.postLogoutRedirectUri === undefined) return undefined;
  if (request.state === undefined) return request.postLogoutRedirectUri;
  const url = new URL(request.postLogoutRedirectUri);
  url.searchParams.append('state', request.state);
  return url.href;
}

/** The content type of a form post; anything else is refused before it is read. */
export function assertFormBody(contentType: string | undefined): void {
  if (contentType?.split(';')[0]?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
    // OIDC RP-Initiated Logout 1.0 s2: POST uses form serialization.
    throw new EndSessionError('invalid_request', 'The sign-out request could not be read.', HttpStatus.BAD_REQUEST);
  }
}
