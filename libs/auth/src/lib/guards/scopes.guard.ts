import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Public, RequiredScopes } from '../decorators';
import { BearerTokenError } from '../error-codes';
import { principalOf } from './principal-of';

/** Requires every scope named by `@Scopes(...)`; 403 `insufficient_scope` naming them otherwise (RFC 6750 s3.1). */
@Injectable()
export class ScopesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const required = this.reflector.getAllAndOverride(RequiredScopes, targets);
    if (!required?.length || this.reflector.getAllAndOverride(Public, targets)) return true;
    const { scopes } = principalOf(context);
    if (required.every((scope) => scopes.has(scope))) return true;
    throw new BearerTokenError('insufficient_scope', 'The access token lacks a required scope.', required.join(' '));
  }
}
