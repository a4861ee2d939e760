import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { DataSource } from 'typeorm';
import { AuditService } from '@authkit/audit';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import type { FormParameters } from '../oauth/form-parameters';
import { OAuthError } from '../oauth/oauth-error';
import type { ClientEntity, TokenEndpointAuthMethod } from './client.entity';
import { ClientSecretHasher } from './client-secret.hasher';
import { ClientService } from './client.service';

/** RFC 7523 s2.2. */
const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const ASSERTION_MAX_LIFETIME_S = 300; // an assertion valid longer than this is refused
const CLOCK_TOLERANCE_S = 30;

/** What identified the client, for audit and for per-method rules. */
export interface AuthenticatedClient {
  readonly client: ClientEntity;
  readonly method: TokenEndpointAuthMethod;
}

/**
 * Client authentication at the token, revocation and introspection endpoints
 * (RFC 6749 s2.3, RFC 7523 s2.2). Exactly one method per request; the method must be the
 * one the client registered; an unknown client and a wrong secret fail alike.
 */
@Injectable()
export class ClientAuthenticator {
  private readonly remoteKeySets = new Map<string, JWTVerifyGetKey>();

  constructor(
    private readonly clients: ClientService,
    private readonly hasher: ClientSecretHasher,
    private readonly audit: AuditService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  /**
   * @param endpointUrl the URL the request was sent to; a client assertion may name it or the issuer as `aud`.
   * @throws OAuthError `invalid_request` (no or several methods, mismatched client_id) or `invalid_client`.
   */
  async authenticate(authorization: string | undefined, params: FormParameters, endpointUrl: string): Promise<AuthenticatedClient> {
    const presented = this.presented(authorization, params);
    const credentials = await this.clients.credentials(presented.clientId);
    const client = credentials?.client;
    const fail = (reason: string): never => {
      this.audit.record({
        type: 'client.authentication.failed',
        outcome: 'failure',
        actor: { type: 'client', id: presented.clientId.slice(0, 128) },
        details: { method: presented.method, reason },
      });
      throw OAuthError.invalidClient(this.config.issuer);
    };
    if (presented.method === 'client_secret_basic' || presented.method === 'client_secret_post') {
      // Always run the comparison, against a decoy for unknown clients, so timing says nothing.
      const ok = this.hasher.matches(presented.secret, credentials?.secretHashes ?? []);
      if (!client) return fail('unknown_client');
      if (client.tokenEndpointAuthMethod !== presented.method) return fail('method_not_registered');
      if (!ok) return fail('bad_secret');
      return { client, method: presented.method };
    }
    if (!client) return fail('unknown_client');
    if (client.tokenEndpointAuthMethod !== presented.method) return fail('method_not_registered');
    if (presented.method === 'private_key_jwt' && !(await this.assertionValid(client, presented.assertion, endpointUrl))) {
      return fail('bad_assertion');
    }
    return { client, method: presented.method };
  }

  private presented(authorization: string | undefined, params: FormParameters):
    | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; secret: string }
    | { method: 'private_key_jwt'; clientId: string; assertion: string }
    | { method: 'none'; clientId: string } {
    const basic = authorization !== undefined && /^basic /i.test(authorization);
    const bodyClientId = params.get('client_id');
    const methods = [basic, params.has('client_secret'), params.has('client_assertion') || params.has('client_assertion_type')];
    if (methods.filter(Boolean).length > 1) {
      // RFC 6749 s2.3: a client MUST NOT use more than one authentication method per request.
      throw new OAuthError('invalid_request', 'Use exactly one client authentication method.');
    }
    if (authorization !== undefined && !basic) {
      throw this.unidentified('unsupported_scheme');
    }
    if (basic) {
      const { clientId, secret } = decodeBasic(authorization!.slice(6).trim());
      if (clientId === undefined || secret === undefined) throw this.unidentified('malformed_basic');
      if (bodyClientId !== undefined && bodyClientId !== clientId) {
        throw new OAuthError('invalid_request', 'client_id does not match the authenticated client.');
      }
      return { method: 'client_secret_basic', clientId, secret };
    }
    if (params.has('client_assertion') || params.has('client_assertion_type')) {
      const assertion = params.get('client_assertion');
      if (params.get('client_assertion_type') !== JWT_BEARER_ASSERTION || !assertion) {
        throw new OAuthError('invalid_request', `client_assertion_type must be ${JWT_BEARER_ASSERTION} with a client_assertion.`);
      }
      const clientId = bodyClientId ?? unverifiedSubject(assertion);
      if (!clientId) throw this.unidentified('malformed_assertion');
      return { method: 'private_key_jwt', clientId, assertion };
    }
    if (!bodyClientId) throw this.unidentified('no_credentials');
    const secret = params.get('client_secret');
    return secret !== undefined ? { method: 'client_secret_post', clientId: bodyClientId, secret } : { method: 'none', clientId: bodyClientId };
  }

  /**
   * `invalid_client` for credentials that name no client (absent, another scheme, a Basic
   * value that does not decode). Audited like every other failed authentication, so probing
   * with malformed credentials leaves a trace; nothing of the value is recorded.
   */
  private unidentified(reason: string): OAuthError {
    this.audit.record({ type: 'client.authentication.failed', outcome: 'failure', details: { reason } });
    return OAuthError.invalidClient(this.config.issuer);
  }

  /**
   * RFC 7523 s3: signed by a key the client registered, `iss` = `sub` = client_id, `aud`
   * this server, unexpired, short-lived, and a `jti` never seen before (kept until `exp`).
   */
  private async assertionValid(client: ClientEntity, assertion: string, endpointUrl: string): Promise<boolean> {
    try {
      const { payload } = await jwtVerify(assertion, this.keySet(client), {
        algorithms: ASSERTION_ALGORITHMS,
        issuer: client.clientId,
        subject: client.clientId,
        audience: [this.config.issuer, endpointUrl],
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      const now = Math.floor(Date.now() / 1000);
      // A jti is remembered in PostgreSQL, whose text cannot hold U+0000.
      if (typeof payload.jti !== 'string' || payload.jti.length > 256 || payload.jti.includes('\u0000')) return false;
      if (payload.exp! - now > ASSERTION_MAX_LIFETIME_S) return false;
      const inserted = (await this.dataSource.query(
        `INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, to_timestamp($3))
         ON CONFLICT DO NOTHING RETURNING jti`,
        [client.clientId, payload.jti, payload.exp! + CLOCK_TOLERANCE_S],
      )) as unknown[];
      return inserted.length === 1; // a replayed jti inserts nothing
    } catch (error) {
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return false;
      throw error;
    }
  }

  private keySet(client: ClientEntity): JWTVerifyGetKey {
    if (client.jwks) return createLocalJWKSet(client.jwks as Parameters<typeof createLocalJWKSet>[0]);
    const uri = client.jwksUri!;
    let keySet = this.remoteKeySets.get(uri);
    if (!keySet) {
      keySet = createRemoteJWKSet(new URL(uri), { timeoutDuration: 3_000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
      this.remoteKeySets.set(uri, keySet);
    }
    return keySet;
  }
}

/** RFC 6749 s2.3.1: id and secret are form-urlencoded before they are joined with ':'. */
function decodeBasic(encoded: string): { clientId?: string; secret?: string } {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return {};
  try {
    const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { clientId: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  } catch {
    return {};
  }
}

/** The `sub` of an assertion before verification, only to find which client's keys verify it. */
function unverifiedSubject(assertion: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof payload.sub === 'string' && payload.sub.length <= 128 ? payload.sub : undefined;
  } catch {
    return undefined;
  }
}
