import { type CanActivate, type ExecutionContext, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTH_MODULE_OPTIONS } from '../auth-module-definition';
import type { AuthModuleOptions } from '../auth-options.interface';
import { Public, RequireMfa } from '../decorators';
import { principalOf } from './principal-of';

/** RFC 8176 methods that count as a second factor. */
const SECOND_FACTORS = new Set(['otp', 'hwk', 'swk', 'mfa', 'sms', 'face', 'fpt']);

/**
 * Enforces `@RequireMfa()`: the token's `amr` must name a second factor, and with
 * `maxAgeSeconds` the user must have authenticated that recently (`auth_time`, step-up).
 * Refusals are 403 with the stable code `mfa_required` or `step_up_required`.
 */
@Injectable()
export class MfaGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_MODULE_OPTIONS) private readonly options: AuthModuleOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const requirement = this.reflector.getAllAndOverride(RequireMfa, targets);
    if (!requirement || this.reflector.getAllAndOverride(Public, targets)) return true;
    const principal = principalOf(context);
    if (!principal.amr.some((method) => SECOND_FACTORS.has(method))) {
      throw new ForbiddenException({ error: 'mfa_required', error_description: 'A second factor is required.' });
    }
    if (requirement.maxAgeSeconds !== undefined) {
      const now = this.options.now?.() ?? Math.floor(Date.now() / 1000);
      if (principal.authTime === undefined || now - principal.authTime > requirement.maxAgeSeconds) {
        throw new ForbiddenException({ error: 'step_up_required', error_description: 'Recent authentication is required.' });
      }
    }
    return true;
  }
}
