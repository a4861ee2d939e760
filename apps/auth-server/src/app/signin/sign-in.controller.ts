import { Controller } from '@nestjs/common';

/** The sign-in and consent form posts. Implemented in the sign-in issue. */
@Controller()
export class SignInController {}
