import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import { AuditQueryService, AuditVerifierService, isAuditEventType, type AuditPage } from '@authkit/audit';
import { ClientService, type ClientView } from '../clients/client.service';
import { SigningKeyService } from '../keys/signing-key.service';
import { OAuthError } from '../oauth/oauth-error';
import { AdminGuard, adminActor, type AdminRequest } from './admin.guard';

interface KeyView {
  kid: string;
  alg: string;
  status: string;
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  publish_until: string | null;
}

/**
 * The admin API (`/admin/*`), which `authctl` drives: clients, signing keys and the audit
 * log. Every change is recorded in the audit log by the service that makes it.
 */
@Controller('admin')
@UseGuards(AdminGuard)
export class AdminController {
  constructor(
    private readonly clients: ClientService,
    private readonly keys: SigningKeyService,
    private readonly auditQueries: AuditQueryService,
    private readonly auditVerifier: AuditVerifierService,
  ) {}

  @Get('clients')
  @Header('Cache-Control', 'no-store')
  listClients(): Promise<ClientView[]> {
    return this.clients.list();
  }

  @Post('clients')
  @Header('Cache-Control', 'no-store')
  createClient(@Body() body: unknown, @Req() request: AdminRequest): Promise<ClientView> {
    return this.clients.create(body, adminActor(request));
  }

  @Get('clients/:id')
  @Header('Cache-Control', 'no-store')
  showClient(@Param('id') id: string): Promise<ClientView> {
    return this.clients.get(id);
  }

  @Patch('clients/:id')
  @Header('Cache-Control', 'no-store')
  updateClient(@Param('id') id: string, @Body() body: unknown, @Req() request: AdminRequest): Promise<ClientView> {
    return this.clients.update(id, body, adminActor(request));
  }

  @Delete('clients/:id')
  @HttpCode(204)
  deleteClient(@Param('id') id: string, @Req() request: AdminRequest): Promise<void> {
    return this.clients.delete(id, adminActor(request));
  }

  /** Body `{ "grace_seconds": N }` (default 0): how long the current secrets stay valid. */
  @Post('clients/:id/rotate-secret')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  rotateSecret(@Param('id') id: string, @Body() body: unknown, @Req() request: AdminRequest): Promise<ClientView> {
    const grace = (body as { grace_seconds?: unknown } | undefined)?.grace_seconds ?? 0;
    if (typeof grace !== 'number') throw new OAuthError('invalid_request', 'grace_seconds must be a number.');
    return this.clients.rotateSecret(id, grace, adminActor(request));
  }

  @Get('keys')
  @Header('Cache-Control', 'no-store')
  listKeys(): KeyView[] {
    return this.keys.list().map(toKeyView);
  }

  @Post('keys/rotate')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async rotateKeys(@Req() request: AdminRequest): Promise<KeyView> {
    return toKeyView(await this.keys.rotate(adminActor(request)));
  }

  /** Newest first; `limit`, `type`, `user`, `from`, `to` (ISO 8601) and `cursor` filter and page. */
  @Get('audit')
  @Header('Cache-Control', 'no-store')
  auditTail(@Query() query: Record<string, unknown>): Promise<AuditPage> {
    const text = (name: string) => {
      const value = query[name];
      if (value === undefined) return undefined;
      if (typeof value !== 'string') throw new OAuthError('invalid_request', `${name} is repeated or malformed.`);
      return value;
    };
    const type = text('type');
    if (type !== undefined && !isAuditEventType(type)) throw new OAuthError('invalid_request', 'Unknown event type.');
    const limit = text('limit');
    const date = (name: string) => {
      const value = text(name);
      if (value === undefined) return undefined;
      const parsed = new Date(value);
      if (Number.isNaN(parsed.getTime())) throw new OAuthError('invalid_request', `${name} must be an ISO 8601 time.`);
      return parsed;
    };
    return this.auditQueries.find({
      type,
      userId: text('user'),
      from: date('from'),
      to: date('to'),
      cursor: text('cursor'),
      limit: limit === undefined ? undefined : /^\d{1,3}$/.test(limit) ? Number(limit) : NaN,
    });
  }

  @Post('audit/verify')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async auditVerify(): Promise<{ ok: boolean; events: number; first_bad_id?: string | null; reason?: string }> {
    const result = await this.auditVerifier.verify();
    return result.ok ? { ok: true, events: result.events } : { ok: false, events: result.events, first_bad_id: result.firstBadId, reason: result.reason };
  }
}

function toKeyView(key: ReturnType<SigningKeyService['list']>[number]): KeyView {
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.status,
    created_at: key.createdAt.toISOString(),
    activated_at: key.activatedAt?.toISOString() ?? null,
    retired_at: key.retiredAt?.toISOString() ?? null,
    publish_until: key.publishUntil?.toISOString() ?? null,
  };
}
