// The public surface of @authkit/mfa: TOTP (RFC 6238) and recovery codes. Pure library: no
// database, no Nest module; auth-server wires these classes and stores what they return.
export { TotpService, type TotpServiceOptions, TOTP_PERIOD_SECONDS, TOTP_DIGITS, TOTP_WINDOW_STEPS } from './lib/totp/totp.service';
export { TotpSecretCipher } from './lib/totp/totp-secret.cipher';
export { totpQrCodeSvg } from './lib/totp/totp-qr-code';
export { RecoveryCodes, RECOVERY_CODE_COUNT } from './lib/recovery-codes/recovery-codes';
export { MfaError, type MfaErrorCode } from './lib/error-codes';
