import { Controller, Get, Header, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { escapeHtml, page, PAGE_HEADERS } from './page';

/** The demo's home page. */
@Controller()
export class HomeController {
  constructor(@InjectAppConfig() private readonly config: AppConfig) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  home(@Res() reply: FastifyReply): void {
    reply
      .headers(PAGE_HEADERS)
      .send(
        page(
          'nest-authkit demo',
          `<h1>nest-authkit demo</h1>
<p>A NestJS service protected by <code>@authkit/auth</code>, signing users in through the authorization server at
<a href="${escapeHtml(this.config.issuer)}">${escapeHtml(this.config.issuer)}</a>.</p>`,
        ),
      );
  }

  @Get('health')
  @Header('Cache-Control', 'no-store')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
