import { AuditQueryService, AuditService } from '@authkit/audit';
import { describeEachDatabase, findSecrets } from '@authkit/testing';
import { UserService } from '../src/app/users/user.service';
import { UserEntity } from '../src/app/users/user.entity';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

const SYSTEM = { type: 'system', id: 'test' } as const;

describeEachDatabase('user accounts', (database) => {
  let server: RunningAuthServer;
  let users: UserService;
  beforeAll(async () => {
    server = await startAuthServer(database());
    users = server.app.get(UserService);
  });
  afterAll(() => server?.close());

  it('stores the password only as an argon2id hash at OWASP parameters', async () => {
    const password = 'correct horse battery staple';
    const view = await users.create({ email: 'Carol@Example.com', password, roles: ['admin'] }, SYSTEM);
    expect(view).not.toHaveProperty('password_hash');
    const stored = await users.get(view.id);
    expect(stored.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(stored.passwordHash).not.toContain(password);
  });

  it('verifies credentials by email regardless of case, and refuses wrong, unknown and disabled alike', async () => {
    await users.create({ email: 'dave@example.com', password: 'dave-password-1' }, SYSTEM);
    expect((await users.verifyCredentials('DAVE@example.com', 'dave-password-1'))?.email).toBe('dave@example.com');
    expect(await users.verifyCredentials('dave@example.com', 'wrong-password')).toBeNull();
    expect(await users.verifyCredentials('nobody@example.com', 'dave-password-1')).toBeNull();
    await users.setDisabled('dave@example.com', true, SYSTEM);
    expect(await users.verifyCredentials('dave@example.com', 'dave-password-1')).toBeNull();
  });

  it('refuses duplicate emails and short passwords with invalid_request', async () => {
    await expect(users.create({ email: 'carol@example.com', password: 'another-password' }, SYSTEM)).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(users.create({ email: 'erin@example.com', password: 'short' }, SYSTEM)).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('applies bootstrap users idempotently and rotates a changed password', async () => {
    const entry = { email: 'frank@example.com', password: 'frank-password-1', roles: ['reader'] };
    expect(await users.applyBootstrap(entry, SYSTEM)).toBe('created');
    expect(await users.applyBootstrap(entry, SYSTEM)).toBe('unchanged');
    expect(await users.applyBootstrap({ ...entry, password: 'frank-password-2' }, SYSTEM)).toBe('updated');
    expect(await users.verifyCredentials('frank@example.com', 'frank-password-1')).toBeNull();
    expect(await users.verifyCredentials('frank@example.com', 'frank-password-2')).toBeInstanceOf(UserEntity);
  });

  it('records user changes in the audit log without the password', async () => {
    await users.setPassword('carol@example.com', 'a-brand-new-password', SYSTEM);
    await server.app.get(AuditService).flush();
    const page = await server.app.get(AuditQueryService).find({ type: 'user.password.changed' });
    expect(page.events.length).toBeGreaterThan(0);
    const created = await server.app.get(AuditQueryService).find({ type: 'user.created' });
    expect(findSecrets(JSON.stringify([page, created]), ['a-brand-new-password', 'correct horse battery staple', 'dave-password-1'])).toEqual([]);
  });
});
