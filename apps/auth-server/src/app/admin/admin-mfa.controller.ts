import { Controller, Delete, Get, Header, HttpCode, Param, Req, UseGuards } from '@nestjs/common';
import { TotpEnrollmentService, type SecondFactorStatus } from '../mfa/totp-enrollment.service';
import { UserService } from '../users/user.service';
import { AdminGuard, adminActor, type AdminRequest } from './admin.guard';

/**
 * A user's second factor in the admin API (`authctl user mfa|reset-mfa`): its state, and
 * its removal when the user lost both the authenticator and the recovery codes (the
 * operator checks who asks first; the removal is audited as `mfa.disabled` by the admin).
 */
@Controller('admin/users')
@UseGuards(AdminGuard)
export class AdminMfaController {
  constructor(
    private readonly users: UserService,
    private readonly enrollment: TotpEnrollmentService,
  ) {}

  @Get(':user/mfa')
  @Header('Cache-Control', 'no-store')
  async status(@Param('user') idOrEmail: string): Promise<SecondFactorStatus> {
    const user = await this.users.get(idOrEmail);
    return this.enrollment.status(user.id);
  }

  @Delete(':user/mfa')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async reset(@Param('user') idOrEmail: string, @Req() request: AdminRequest): Promise<{ removed: boolean } & SecondFactorStatus> {
    const user = await this.users.get(idOrEmail);
    const removed = await this.enrollment.reset(user.id, adminActor(request));
    return { removed, ...(await this.enrollment.status(user.id)) };
  }
}
