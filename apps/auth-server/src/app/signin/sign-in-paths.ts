/** Where the sign-in and consent forms post to, relative to the issuer. */
export const SIGN_IN_PATHS = {
  login: '/signin',
  consent: '/signin/consent',
  secondFactor: '/signin/second-factor',
  recoveryCode: '/signin/recovery-code',
} as const;
