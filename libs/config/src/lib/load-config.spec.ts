import { ConfigError } from './config-error';
import { loadConfig } from './load-config';

const validKek = Buffer.alloc(32, 7).toString('base64');

function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      demoPort: 4200,
      issuer: 'http://localhost:3000',
      databaseUrl: undefined,
      defaultAudience: 'http://localhost:4200/api',
      lifetimes: { accessToken: 600, refreshToken: 86_400, refreshTokenAbsolute: 2_592_000, authorizationCode: 60 },
      signingAlgorithm: 'RS256',
      demo: { clientId: 'demo-web', clientSecret: undefined, publicUrl: 'http://localhost:4200' },
      trustProxy: false,
    });
    expect(config.dataDir.endsWith('.data')).toBe(true);
  });

  it('derives the default issuer and demo URL from the ports', () => {
    expect(loadConfig({ PORT: '3001' }).issuer).toBe('http://localhost:3001');
    expect(loadConfig({ DEMO_PORT: '5000' }).demo.publicUrl).toBe('http://localhost:5000');
  });

  it('names every invalid variable with its expected form', () => {
    const problems = problemsOf({ PORT: 'eighty', AUTH_ISSUER: 'ftp://x', ACCESS_TOKEN_TTL: '-1' });
    expect(problems).toHaveLength(3);
    expect(problems.find((p) => p.startsWith('PORT '))).toMatch(/port number/);
    expect(problems.find((p) => p.startsWith('AUTH_ISSUER '))).toMatch(/http\(s\) URL/);
    expect(problems.find((p) => p.startsWith('ACCESS_TOKEN_TTL '))).toMatch(/seconds/);
  });

  it.each(['http://localhost:3000/', 'https://a.example?x=1', 'https://a.example#f', 'https://u:p@a.example'])(
    'refuses the issuer %s (RFC 8414 s2)',
    (issuer) => expect(problemsOf({ AUTH_ISSUER: issuer })[0]).toMatch(/^AUTH_ISSUER /),
  );

  it('never echoes a rejected secret value', () => {
    const secret = 'not-base64-but-very-secret-value!!';
    const problems = problemsOf({ AUTH_KEK: secret, DEMO_CLIENT_SECRET: 'short-secret-value' });
    expect(problems.join('\n')).not.toContain(secret);
    expect(problems.join('\n')).not.toContain('short-secret-value');
    expect(problems).toHaveLength(2);
  });

  it('accepts a 32-byte KEK and refuses other lengths', () => {
    expect(loadConfig({ AUTH_KEK: validKek }).kek).toEqual(Buffer.alloc(32, 7));
    expect(problemsOf({ AUTH_KEK: Buffer.alloc(16).toString('base64') })[0]).toMatch(/^AUTH_KEK /);
  });

  it('refuses symmetric signing in every mode', () => {
    expect(problemsOf({ AUTH_SIGNING_ALG: 'HS256' })[0]).toMatch(/^AUTH_SIGNING_ALG .*symmetric/);
    expect(loadConfig({ AUTH_SIGNING_ALG: 'EdDSA' }).signingAlgorithm).toBe('EdDSA');
  });

  it('parses TRUST_PROXY as hops or CIDRs', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, ::1' }).trustProxy).toEqual(['10.0.0.0/8', '::1']);
    expect(problemsOf({ TRUST_PROXY: '10.0.0.0/33' })[0]).toMatch(/^TRUST_PROXY /);
    expect(problemsOf({ TRUST_PROXY: 'everyone' })[0]).toMatch(/^TRUST_PROXY /);
  });

  describe('NODE_ENV=production', () => {
    it('refuses each unsafe setting, naming it', () => {
      const problems = problemsOf({ NODE_ENV: 'production' });
      expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['AUTH_ISSUER', 'AUTH_KEK', 'DATABASE_URL']);
    });

    it('starts with safe settings', () => {
      const config = loadConfig({
        NODE_ENV: 'production',
        AUTH_ISSUER: 'https://auth.example.com',
        AUTH_KEK: validKek,
        DATABASE_URL: 'postgres://authkit@db:5432/authkit',
      });
      expect(config.nodeEnv).toBe('production');
    });
  });
});
