import { Controller, Delete, Get, Header, HttpCode, Param, Req, UseGuards } from '@nestjs/common';
import { ConsentService, type ConsentView } from '../consents/consent.service';
import { OAuthError } from '../oauth/oauth-error';
import { SessionService } from '../sessions/session.service';
import { toSessionView, type SessionView } from '../sessions/session.view';
import { UserService } from '../users/user.service';
import { AdminGuard, adminActor, type AdminRequest } from './admin.guard';

/**
 * A user's sessions and remembered consents under `/admin/users/:user/` (`:user` is an id
 * or an email); `authctl user sessions|revoke-sessions|consents|revoke-consent` drives it.
 * Session views never carry the cookie value or its hash. Unknown users and sessions
 * answer 404 `not_found`.
 */
@Controller('admin/users')
@UseGuards(AdminGuard)
export class AdminSessionsController {
  constructor(
    private readonly users: UserService,
    private readonly sessions: SessionService,
    private readonly consents: ConsentService,
  ) {}

  @Get(':user/sessions')
  @Header('Cache-Control', 'no-store')
  async listSessions(@Param('user') user: string): Promise<SessionView[]> {
    const { id } = await this.users.get(user);
    return (await this.sessions.listForUser(id)).map(toSessionView);
  }

  /** OWASP ASVS 5.0 V7.4.5: administrators can end any session. */
  @Delete(':user/sessions/:id')
  @HttpCode(204)
  async revokeSession(@Param('user') user: string, @Param('id') sessionId: string, @Req() request: AdminRequest): Promise<void> {
    const { id } = await this.users.get(user);
    if (!(await this.sessions.revoke(id, sessionId, adminActor(request)))) throw new OAuthError('not_found', 'No such live session.');
  }

  /** Ends every session of the user; answers how many were live. */
  @Delete(':user/sessions')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async revokeAllSessions(@Param('user') user: string, @Req() request: AdminRequest): Promise<{ revoked: number }> {
    const { id } = await this.users.get(user);
    return { revoked: await this.sessions.revokeAllForUser(id, { actor: adminActor(request), reason: 'admin' }) };
  }

  @Get(':user/consents')
  @Header('Cache-Control', 'no-store')
  async listConsents(@Param('user') user: string): Promise<ConsentView[]> {
    const { id } = await this.users.get(user);
    return this.consents.list(id);
  }

  /** Withdraws the consent and revokes the client's refresh tokens for the user. */
  @Delete(':user/consents/:client_id')
  @HttpCode(204)
  async revokeConsent(@Param('user') user: string, @Param('client_id') clientId: string, @Req() request: AdminRequest): Promise<void> {
    const { id } = await this.users.get(user);
    if (!(await this.consents.revoke(id, clientId, adminActor(request)))) throw new OAuthError('not_found', 'No such consent.');
  }
}
