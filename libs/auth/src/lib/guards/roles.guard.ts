import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Public, RequiredRoles } from '../decorators';
import { principalOf } from './principal-of';

/** Requires one of the roles named by `@Roles(...)` in the token's `roles` claim; 403 `forbidden` otherwise. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const required = this.reflector.getAllAndOverride(RequiredRoles, targets);
    if (!required?.length || this.reflector.getAllAndOverride(Public, targets)) return true;
    const { roles } = principalOf(context);
    if (required.some((role) => roles.includes(role))) return true;
    throw new ForbiddenException({ error: 'insufficient_role', error_description: 'A required role is missing.' });
  }
}
