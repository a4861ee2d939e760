import { Controller, UseGuards } from '@nestjs/common';
import { AdminGuard } from './admin.guard';

/** A user's sessions and remembered consents under `/admin/users/:user/`. Implemented in the sessions issue. */
@Controller('admin/users')
@UseGuards(AdminGuard)
export class AdminSessionsController {}
