import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type ExecutionContext, HttpException, Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  getOptionsToken,
  getStorageToken,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { clientIpResolver } from '@authkit/observability';
import { AuthThrottle } from './auth-throttle.decorator';
import type { AuthThrottlePreset } from './throttle-presets';
import { TooManyRequestsError } from './too-many-requests.error';

/** Injection token of the `TRUST_PROXY` setting the guard derives client addresses from. */
export const THROTTLE_TRUST_PROXY = Symbol('THROTTLE_TRUST_PROXY');

const IPV6_PREFIX_BITS = 64; // one subscriber usually holds a whole /64

/** One throttler of a preset (`login:ip`, `login:account`, ...), its limits as numbers. */
interface PresetThrottler {
  readonly name: string;
  readonly by: 'account' | 'address';
  readonly limit: number;
  readonly ttl: number;
  readonly blockDuration: number;
}

/**
 * `@nestjs/throttler`'s guard with the presets of `@AuthThrottle(...)`:
 * - only the throttlers of the route's preset apply (`login:ip` and `login:account`, ...);
 * - the address comes from `TRUST_PROXY` only (a spoofed `X-Forwarded-For` from an
 *   untrusted peer changes nothing), IPv6 counted per /64;
 * - the account is the submitted email/username or the OAuth client id, normalised and hashed;
 * - 429 `too_many_requests` with `Retry-After`; a store that cannot answer refuses (503).
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  private readonly clientIp: (req: IncomingMessage) => string;
  private readonly byPreset = new Map<string, readonly PresetThrottler[]>();
  private readonly presets = new WeakMap<object, AuthThrottlePreset | null>();

  constructor(
    @Inject(getOptionsToken()) options: ThrottlerModuleOptions,
    @Inject(getStorageToken()) storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(THROTTLE_TRUST_PROXY) trustProxy: false | number | readonly string[],
  ) {
    super(options, storage, reflector);
    this.clientIp = clientIpResolver(trustProxy);
  }

  /**
   * Runs only the two throttlers of the route's preset. (The base guard walks every named
   * throttler with five metadata lookups each on every request; presets take no per-route
   * overrides, so their limits are read from the throttler definitions directly.)
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const preset = this.presetOf(context);
    if (preset) await this.enforce(preset, context);
    return true;
  }

  /**
   * Counts the request against `preset` (per address and per account) and throws
   * {@link TooManyRequestsError} past a limit, or a 503 when the store cannot answer. For
   * routes served outside Nest's router (the token endpoint) with an `ExecutionContextHost`.
   *
   * The store is asked directly, with the keys `@nestjs/throttler`'s `handleRequest` would
   * use: that method re-reads options and builds closures per request and throttler, and
   * the token endpoint runs this twice per request.
   */
  async enforce(preset: AuthThrottlePreset, context: ExecutionContext): Promise<void> {
    const req = context.switchToHttp().getRequest<IncomingMessage & { body?: unknown }>();
    try {
      for (const throttler of this.throttlersOf(preset)) {
        const tracker = throttler.by === 'account' ? accountOf(req) : addressKey(this.clientIp(req));
        if (tracker === undefined) continue; // no account named: the per-address limit still applies
        const key = this.generateKey(context, tracker, throttler.name);
        const hit = await this.storageService.increment(key, throttler.ttl, throttler.limit, throttler.blockDuration, throttler.name);
        if (hit.isBlocked) {
          await this.throwThrottlingException(context, { ...hit, limit: throttler.limit, ttl: throttler.ttl, key, tracker });
        }
      }
    } catch (error) {
      if (error instanceof HttpException) throw error;
      throw new ServiceUnavailableException({ error: 'temporarily_unavailable', error_description: 'Rate limiting is unavailable.' });
    }
  }

  /** Per-preset counters are shared by every route of the preset, as a login limit must be. */
  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${tracker}`;
  }

  /** The preset's throttlers with their limits read once (presets take no per-route overrides). */
  private throttlersOf(preset: string): readonly PresetThrottler[] {
    let throttlers = this.byPreset.get(preset);
    if (!throttlers) {
      throttlers = this.throttlers
        .flatMap((t) => (t.name?.startsWith(`${preset}:`) ? [{ ...t, name: t.name }] : []))
        .map((t) => {
          const ttl = Number(t.ttl);
          return {
            name: t.name,
            by: t.name.slice(preset.length + 1) === 'account' ? 'account' : 'address',
            limit: Number(t.limit),
            ttl,
            blockDuration: Number(t.blockDuration ?? ttl),
          } as const;
        });
      this.byPreset.set(preset, throttlers);
    }
    return throttlers;
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    const { res } = this.getRequestResponse(context);
    this.setResponseHeader(res, 'Retry-After', retryAfter);
    throw new TooManyRequestsError(retryAfter);
  }

  /** The route's preset; metadata is fixed at boot, so it is read once per handler. */
  private presetOf(context: ExecutionContext): AuthThrottlePreset | undefined {
    const handler = context.getHandler();
    let preset = this.presets.get(handler);
    if (preset === undefined) {
      preset = this.reflector.getAllAndOverride(AuthThrottle, [handler, context.getClass()]) ?? null;
      this.presets.set(handler, preset);
    }
    return preset ?? undefined;
  }
}

function addressKey(ip: string): string {
  if (!ip.includes(':')) return `ip:${ip}`;
  const groups = expandIpv6(ip);
  return `ip6:${groups.slice(0, IPV6_PREFIX_BITS / 16).join(':')}::/64`;
}

function expandIpv6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = new Array(Math.max(0, 8 - left.length - right.length)).fill('0');
  return [...left, ...(ip.includes('::') ? fill : []), ...right].map((g) => g.toLowerCase().padStart(4, '0'));
}

/** The account a request names: email/username in the body, else the OAuth client id. */
function accountOf(req: IncomingMessage & { body?: unknown }): string | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  let account = [body['email'], body['username'], body['client_id']].find((v) => typeof v === 'string' && v.length > 0) as string | undefined;
  const authorization = req.headers['authorization'];
  if (!account && typeof authorization === 'string' && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) account = decoded.slice(0, colon);
  }
  if (!account) return undefined;
  return `account:${createHash('sha256').update(account.trim().toLowerCase().slice(0, 320)).digest('base64url')}`;
}
