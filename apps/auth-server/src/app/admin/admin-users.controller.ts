import { Body, Controller, Get, Header, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { UserService, type UserView } from '../users/user.service';
import { AdminGuard, adminActor, type AdminRequest } from './admin.guard';

/** User accounts in the admin API; `authctl user ...` drives it. Passwords are never returned. */
@Controller('admin/users')
@UseGuards(AdminGuard)
export class AdminUsersController {
  constructor(private readonly users: UserService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  list(): Promise<UserView[]> {
    return this.users.list();
  }

  /** Body `{ "email", "password", "roles"?: [] }`. */
  @Post()
  @Header('Cache-Control', 'no-store')
  create(@Body() body: unknown, @Req() request: AdminRequest): Promise<UserView> {
    return this.users.create(body, adminActor(request));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  disable(@Param('id') id: string, @Req() request: AdminRequest): Promise<UserView> {
    return this.users.setDisabled(id, true, adminActor(request));
  }

  @Post(':id/enable')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  enable(@Param('id') id: string, @Req() request: AdminRequest): Promise<UserView> {
    return this.users.setDisabled(id, false, adminActor(request));
  }

  /** Body `{ "password" }`. */
  @Post(':id/password')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  setPassword(@Param('id') id: string, @Body() body: unknown, @Req() request: AdminRequest): Promise<UserView> {
    return this.users.setPassword(id, (body as { password?: unknown } | undefined)?.password, adminActor(request));
  }
}
