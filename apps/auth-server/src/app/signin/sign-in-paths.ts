/** Where the sign-in and consent forms post to, relative to the issuer. */
export const SIGN_IN_PATHS = {
  login: '/signin',
  consent: '/signin/consent',
} as const;
