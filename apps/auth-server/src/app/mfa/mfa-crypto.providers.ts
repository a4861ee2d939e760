import type { Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@authkit/config';
import { RecoveryCodes, TotpSecretCipher, TotpService } from '@authkit/mfa';
import { KeyEncryptionKey } from '../crypto/kek.token';
import { SessionClock } from '../sessions/session-clock';

/**
 * The `@authkit/mfa` primitives auth-server uses: TOTP with the issuer's host name as the label
 * authenticator apps show, TOTP secrets encrypted under the KEK (CONTRACT: `AUTH_KEK`
 * encrypts TOTP secrets at rest), and recovery codes hashed under a KEK-derived pepper.
 */
export const MFA_CRYPTO_PROVIDERS: Provider[] = [
  // The session clock, so that tests can move time for codes and sessions alike.
  {
    provide: TotpService,
    useFactory: (config: AppConfig, clock: SessionClock) => new TotpService({ issuer: new URL(config.issuer).hostname, now: () => clock.now() }),
    inject: [APP_CONFIG, SessionClock],
  },
  { provide: TotpSecretCipher, useFactory: (kek: Buffer) => new TotpSecretCipher(kek), inject: [KeyEncryptionKey] },
  { provide: RecoveryCodes, useFactory: (kek: Buffer) => new RecoveryCodes(kek), inject: [KeyEncryptionKey] },
];
