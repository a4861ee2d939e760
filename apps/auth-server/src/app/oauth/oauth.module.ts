import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminController } from '../admin/admin.controller';
import { AdminUsersController } from '../admin/admin-users.controller';
import { AdminGuard } from '../admin/admin.guard';
import { AdminSessionsController } from '../admin/admin-sessions.controller';
import { AuthorizeController } from '../authorize/authorize.controller';
import { AuthorizationClock } from '../authorize/authorization-clock';
import { AuthorizationFlow } from '../authorize/authorization-flow.service';
import { AuthorizationRequestSealer } from '../authorize/authorization-request.sealer';
import { AuthorizationRequests } from '../authorize/authorization-requests.service';
import { AuthorizationStepResponder } from '../signin/authorization-step.responder';
import { CsrfTokens } from '../signin/csrf-tokens';
import { PasswordSignIn } from '../signin/password-sign-in.service';
import { AccountCallers } from '../account/account-caller';
import { AccountController } from '../account/account.controller';
import { AdminMfaController } from '../admin/admin-mfa.controller';
import { MFA_CRYPTO_PROVIDERS } from '../mfa/mfa-crypto.providers';
import { SecondFactorAttempts } from '../mfa/second-factor-attempts';
import { SecondFactorChallenges } from '../mfa/second-factor-challenge';
import { SecondFactorStore } from '../mfa/second-factor.store';
import { SecondFactorVerifier } from '../mfa/second-factor.verifier';
import { TotpEnrollmentService } from '../mfa/totp-enrollment.service';
import { SignedInUsers } from '../signin/signed-in-user';
import { ConsentService } from '../consents/consent.service';
import { SessionService } from '../sessions/session.service';
import { SessionClock } from '../sessions/session-clock';
import { sessionStoreProvider } from '../sessions/session-store.provider';
import { SignInController } from '../signin/sign-in.controller';
import { BootstrapService } from '../bootstrap/bootstrap.service';
import { ClientAuthenticator } from '../clients/client-authenticator';
import { ClientSecretHasher } from '../clients/client-secret.hasher';
import { ClientEntity, ClientSecretEntity } from '../clients/client.entity';
import { ClientService } from '../clients/client.service';
import { KeyEncryptionKey } from '../crypto/kek.token';
import { KeyEncryption } from '../crypto/key-encryption';
import { SigningKeyEntity } from '../keys/signing-key.entity';
import { SigningKeyService } from '../keys/signing-key.service';
import { AuthorizationCodeService } from '../authorize/authorization-code.service';
import { GrantRevocation } from '../refresh/grant-revocation.service';
import { RefreshTokenService } from '../refresh/refresh-token.service';
import { PasswordHasher } from '../users/password.hasher';
import { UserEntity } from '../users/user.entity';
import { UserService } from '../users/user.service';
import { AccessTokenIssuer } from './access-token.issuer';
import { AuthorizationCodeGrant } from './authorization-code.grant';
import { IdTokenIssuer } from './id-token.issuer';
import { RefreshTokenGrant } from './refresh-token.grant';
import { UserinfoController } from './userinfo.controller';
import { ClientCredentialsGrant } from './client-credentials.grant';
import { DiscoveryController } from './discovery.controller';
import { Endpoints } from './endpoints';
import { OwnTokenVerifier } from './own-token.verifier';
import { RevocationList } from './revocation-list';
import { TokenController } from './token.controller';
import { TokenRoute } from './token.route';
import { TokenEndpointsService } from './token-endpoints.service';
import { EndSessionController } from '../logout/end-session.controller';
import { EndSession } from '../logout/end-session.service';
import { IdTokenHintVerifier } from '../logout/id-token-hint.verifier';
import { LogoutCsrfTokens } from '../logout/logout-csrf';
import { ExpiredGrantsPurger } from './expired-grants.purger';

/**
 * Clients, signing keys, users, sessions, the authorization/token/revocation/introspection/
 * userinfo endpoints, the sign-in pages with second factors, the account API, discovery and
 * the admin API.
 */
@Module({})
export class OAuthModule {
  static forRoot(kek: Buffer): DynamicModule {
    return {
      module: OAuthModule,
      imports: [TypeOrmModule.forFeature([ClientEntity, ClientSecretEntity, SigningKeyEntity, UserEntity])],
      controllers: [
        TokenController,
        DiscoveryController,
        AdminController,
        AdminUsersController,
        AdminSessionsController,
        AuthorizeController,
        SignInController,
        UserinfoController,
        EndSessionController,
        AccountController,
        AdminMfaController,
      ],
      providers: [
        { provide: KeyEncryptionKey, useValue: kek },
        { provide: KeyEncryption, useFactory: (key: Buffer) => new KeyEncryption(key), inject: [KeyEncryptionKey] },
        ClientSecretHasher,
        ClientService,
        ClientAuthenticator,
        SigningKeyService,
        AccessTokenIssuer,
        ClientCredentialsGrant,
        OwnTokenVerifier,
        RevocationList,
        ExpiredGrantsPurger,
        TokenEndpointsService,
        TokenRoute,
        Endpoints,
        AdminGuard,
        BootstrapService,
        PasswordHasher,
        UserService,
        RefreshTokenService,
        GrantRevocation,
        AuthorizationCodeService,
        AuthorizationCodeGrant,
        RefreshTokenGrant,
        IdTokenIssuer,
        SessionService,
        SessionClock,
        sessionStoreProvider,
        ConsentService,
        AuthorizationClock,
        AuthorizationRequestSealer,
        AuthorizationRequests,
        AuthorizationFlow,
        SignedInUsers,
        CsrfTokens,
        PasswordSignIn,
        AuthorizationStepResponder,
        IdTokenHintVerifier,
        LogoutCsrfTokens,
        EndSession,
        ...MFA_CRYPTO_PROVIDERS,
        SecondFactorStore,
        SecondFactorAttempts,
        SecondFactorVerifier,
        SecondFactorChallenges,
        TotpEnrollmentService,
        AccountCallers,
      ],
      exports: [ClientService, SigningKeyService, RevocationList, UserService],
    };
  }
}
