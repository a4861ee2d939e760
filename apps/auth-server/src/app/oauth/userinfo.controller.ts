import { Controller } from '@nestjs/common';

/** OpenID Connect Core s5.3: the UserInfo endpoint. */
@Controller()
export class UserinfoController {}
