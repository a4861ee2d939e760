import { Module } from '@nestjs/common';
import { AccountApiClient } from './account-api.client';
import { AccountService } from './account.service';
import { SecurityController } from './security.controller';
import { SecurityFormGuard } from './security-form.guard';
import { TotpEnrollmentService } from './totp-enrollment.service';

/** The `/security` page: two-factor authentication and security events through auth-server's account API. */
@Module({
  controllers: [SecurityController],
  providers: [AccountApiClient, AccountService, TotpEnrollmentService, SecurityFormGuard],
})
export class SecurityModule {}
