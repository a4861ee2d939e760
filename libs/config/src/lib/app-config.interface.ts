/** Signing algorithms for access and ID tokens. Symmetric algorithms are never offered. */
export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

/** Which peers' `X-Forwarded-For` is believed: a number of hops, or a list of addresses/CIDRs. */
export type TrustProxySetting = false | number | readonly string[];

/** Token and code lifetimes, in seconds. A client's own setting wins over these. */
export interface TokenLifetimes {
  readonly accessToken: number;
  readonly refreshToken: number;
  readonly refreshTokenAbsolute: number;
  readonly authorizationCode: number;
}

/** The whole validated configuration, read once at boot from the environment. */
export interface AppConfig {
  readonly nodeEnv: 'development' | 'test' | 'production';
  /** Address both servers listen on: `localhost` in development, all interfaces in production. */
  readonly host: string;
  readonly port: number;
  readonly demoPort: number;
  readonly issuer: string;
  /** `postgres://` URL of a real server, or undefined for the embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  readonly bootstrapFile: string | undefined;
  /** Key-encryption key (32 bytes). Undefined in development: generated into `dataDir`. */
  readonly kek: Buffer | undefined;
  readonly defaultAudience: string;
  readonly lifetimes: TokenLifetimes;
  /**
   * Sign-in sessions at auth-server, in seconds: idle (since the last use) and absolute
   * (since sign-in). OWASP ASVS 5.0 V7.3 asks for both.
   */
  readonly sessions: { readonly idle: number; readonly absolute: number };
  readonly signingAlgorithm: SigningAlgorithm;
  readonly demo: {
    readonly clientId: string;
    readonly clientSecret: string | undefined;
    readonly publicUrl: string;
  };
  /**
   * Clients allowed to call the account API for their users (first-party account pages):
   * `AUTH_ACCOUNT_CLIENTS`, else the demo's own client.
   */
  readonly accountClients: readonly string[];
  readonly trustProxy: TrustProxySetting;
  /** Token, revocation and introspection requests per minute, per client address and per client. */
  readonly tokenRateLimitPerMinute: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly audit: {
    /** Events held in memory while the database is slow or unreachable. */
    readonly bufferLimit: number;
    readonly flushIntervalMs: number;
    readonly retentionDays: number | undefined;
  };
}
