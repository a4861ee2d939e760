import { Module } from '@nestjs/common';
import { SignInController } from './sign-in.controller';
import { SignInService } from './sign-in.service';
import { SignOutService } from './sign-out.service';

/** The demo's sign-in and sign-out endpoints; sessions come from the global `SessionModule`. */
@Module({
  controllers: [SignInController],
  providers: [SignInService, SignOutService],
})
export class SignInModule {}
