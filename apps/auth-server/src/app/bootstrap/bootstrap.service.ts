import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import type { ClientMetadataInput } from '../clients/client-metadata.schema';
import { ClientService } from '../clients/client.service';
import { OAuthError } from '../oauth/oauth-error';
import { UserService } from '../users/user.service';
import { bootstrapFileSchema } from './bootstrap-file.schema';

const SYSTEM = { type: 'system', id: 'bootstrap' } as const;
export const DEV_CREDENTIALS_FILE = 'dev-credentials.json';

/**
 * At start: applies `AUTH_BOOTSTRAP_FILE` (idempotent: applying the same file twice
 * changes nothing), or, in development (`NODE_ENV` unset) without a file, creates the development
 * setup (a `demo-web` client, an `ops` admin client and an admin user) and writes their secrets to
 * `DATA_DIR/dev-credentials.json` (mode 0600).
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapService.name);

  constructor(
    private readonly clients: ClientService,
    private readonly users: UserService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.bootstrapFile) await this.applyFile(this.config.bootstrapFile);
    else if (this.config.nodeEnv === 'development') await this.developmentSetup();
  }

  /** @throws Error naming the file and the offending member; the server does not start. */
  async applyFile(path: string): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new Error(`AUTH_BOOTSTRAP_FILE ${path} is not readable JSON (${(error as Error).name})`);
    }
    const parsed = bootstrapFileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new Error(`AUTH_BOOTSTRAP_FILE ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const outcome = { created: 0, updated: 0, unchanged: 0 };
    for (const [index, client] of parsed.data.clients.entries()) {
      try {
        outcome[await this.clients.applyBootstrap(client as ClientMetadataInput, SYSTEM)] += 1;
      } catch (error) {
        const detail = error instanceof OAuthError ? String((error.getResponse() as { error_description?: string }).error_description) : (error as Error).name;
        throw new Error(`AUTH_BOOTSTRAP_FILE ${path}: clients[${index}]: ${detail}`);
      }
    }
    const users = { created: 0, updated: 0, unchanged: 0 };
    for (const [index, user] of parsed.data.users.entries()) {
      try {
        users[await this.users.applyBootstrap(user, SYSTEM)] += 1;
      } catch (error) {
        const detail = error instanceof OAuthError ? String((error.getResponse() as { error_description?: string }).error_description) : (error as Error).name;
        throw new Error(`AUTH_BOOTSTRAP_FILE ${path}: users[${index}]: ${detail}`);
      }
    }
    this.logger.log(
      `bootstrap: clients ${outcome.created} created, ${outcome.updated} updated, ${outcome.unchanged} unchanged; ` +
        `users ${users.created} created, ${users.updated} updated, ${users.unchanged} unchanged`,
    );
  }

  private async developmentSetup(): Promise<void> {
    const file = join(this.config.dataDir, DEV_CREDENTIALS_FILE);
    const existing = await readFile(file, 'utf8').then((t) => JSON.parse(t) as Record<string, unknown>, () => undefined);
    const haveClients = (await this.clients.credentials('ops')) && (await this.clients.credentials(this.config.demo.clientId));
    if (existing && haveClients) return;
    const demoSecret = this.config.demo.clientSecret;
    const demo = await this.ensureClient(
      {
        client_id: this.config.demo.clientId,
        client_name: 'nest-authkit demo',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [`${this.config.demo.publicUrl}/auth/callback`],
        // RP-Initiated Logout 1.0 s3.1: the demo's sign-out returns to its home page.
        post_logout_redirect_uris: [`${this.config.demo.publicUrl}/`],
        scope: 'openid profile email offline_access demo:read',
        token_endpoint_auth_method: 'client_secret_post',
        skip_consent: true,
      },
      demoSecret,
    );
    const ops = await this.ensureClient({
      client_id: 'ops',
      client_name: 'operations (authctl)',
      grant_types: ['client_credentials'],
      scope: 'admin',
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const devUser = await this.ensureDevUser();
    await mkdir(this.config.dataDir, { recursive: true, mode: 0o700 });
    await rm(file, { force: true });
    const handle = await open(file, 'wx', 0o600);
    await handle.writeFile(
      `${JSON.stringify(
        {
          note: 'Development credentials. Never use these outside development.',
          issuer: this.config.issuer,
          authctl: { AUTHCTL_URL: this.config.issuer, AUTHCTL_CLIENT_ID: 'ops', AUTHCTL_CLIENT_SECRET: ops },
          demo: { DEMO_CLIENT_ID: this.config.demo.clientId, DEMO_CLIENT_SECRET: demo },
          user: devUser,
        },
        null,
        2,
      )}\n`,
    );
    await handle.close();
    this.logger.warn(`development setup: clients ${this.config.demo.clientId} and ops; credentials in ${file}`);
  }

  /** A development user with the admin role and a fresh random password. */
  private async ensureDevUser(): Promise<{ email: string; password: string }> {
    const email = 'admin@example.com';
    const password = randomBytes(12).toString('base64url');
    await this.users.applyBootstrap({ email, password, roles: ['admin'] }, SYSTEM);
    return { email, password };
  }

  /** Creates the client or gives it a fresh secret; returns the secret in clear (once). */
  private async ensureClient(metadata: ClientMetadataInput, secret?: string): Promise<string> {
    const id = metadata.client_id!;
    if (await this.clients.credentials(id)) {
      if (secret) {
        await this.clients.applyBootstrap({ ...metadata, client_secret: secret }, SYSTEM);
        return secret;
      }
      return (await this.clients.rotateSecret(id, 0, SYSTEM)).client_secret!;
    }
    const created = await this.clients.create({ ...metadata, ...(secret ? { client_secret: secret } : {}) }, SYSTEM);
    return secret ?? created.client_secret!;
  }
}
