/**
 * The server side of bench/guard.bench.ts, run as its own process (forked through the
 * workspace's TypeScript require hook) so that it does not share an event loop with the
 * load generator. One process serves one platform (Fastify or Express) with two NestJS
 * applications:
 *
 *   main app   GET /unguarded      no guard
 *              GET /guarded        @UseGuards(JwtAuthGuard), AuthModule.forRoot with local keys
 *                                  and the default verified-token cache
 *              GET /passport-jwt   @UseGuards(AuthGuard('jwt')), passport-jwt configured as users
 *                                  do today (bearer header, PEM public key, RS256)
 *   cold app   GET /guarded        the same guard with `verifiedCacheSize: 0`: the signature is
 *                                  verified on every request
 *
 * Every route runs the same handler body. Protocol over the IPC channel: the parent sends
 * one `{ type: 'start', ... }` message; the child answers `{ type: 'ready', ports }` (or
 * `{ type: 'failed', error }`). It closes both applications and exits 0 on SIGTERM or
 * SIGINT, and exits as well when the IPC channel closes (the parent went away).
 */
import 'reflect-metadata';
import { createPublicKey } from 'node:crypto';
import { Controller, Get, Injectable, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AuthModule, JwtAuthGuard, type AuthModuleOptions } from '@authkit/auth';

export type Platform = 'fastify' | 'express';

export interface StartMessage {
  readonly type: 'start';
  readonly platform: Platform;
  readonly issuer: string;
  readonly audience: string;
  readonly kid: string;
  /** The RS256 public key, SPKI PEM. */
  readonly publicKeyPem: string;
}

export type ChildMessage =
  | { readonly type: 'ready'; readonly ports: { readonly main: number; readonly cold: number } }
  | { readonly type: 'failed'; readonly error: string };

const BODY = { ok: true };

@Controller()
class MainController {
  @Get('unguarded')
  unguarded() {
    return BODY;
  }

  @Get('guarded')
  @UseGuards(JwtAuthGuard)
  guarded() {
    return BODY;
  }

  @Get('passport-jwt')
  @UseGuards(AuthGuard('jwt'))
  passportJwt() {
    return BODY;
  }
}

@Controller()
class ColdController {
  @Get('guarded')
  @UseGuards(JwtAuthGuard)
  guarded() {
    return BODY;
  }
}

function passportJwtStrategy(publicKeyPem: string) {
  /** passport-jwt as its README configures it: no issuer or audience check by default. */
  @Injectable()
  class PassportJwtStrategy extends PassportStrategy(Strategy) {
    constructor() {
      super({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: publicKeyPem, algorithms: ['RS256'] });
    }

    validate(payload: Record<string, unknown>) {
      return { sub: payload['sub'], clientId: payload['client_id'] };
    }
  }
  return PassportJwtStrategy;
}

async function listen(module: unknown, platform: Platform): Promise<{ app: INestApplication; port: number }> {
  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const app = await NestFactory.create(module as never, adapter, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, port };
}

const apps: INestApplication[] = [];
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled(apps.map((app) => app.close()));
  process.exit(code);
}

async function start(message: StartMessage): Promise<{ main: number; cold: number }> {
  const publicKey = createPublicKey(message.publicKeyPem);
  const options: AuthModuleOptions = {
    issuer: message.issuer,
    audience: message.audience,
    keys: { local: [{ kid: message.kid, alg: 'RS256', key: publicKey }] },
  };

  @Module({
    imports: [AuthModule.forRoot(options)],
    controllers: [MainController],
    providers: [passportJwtStrategy(message.publicKeyPem)],
  })
  class MainModule {}

  @Module({
    imports: [AuthModule.forRoot({ ...options, verifiedCacheSize: 0 })],
    controllers: [ColdController],
  })
  class ColdModule {}

  const main = await listen(MainModule, message.platform);
  apps.push(main.app);
  const cold = await listen(ColdModule, message.platform);
  apps.push(cold.app);
  return { main: main.port, cold: cold.port };
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

if (!process.send) {
  process.stderr.write('guard-app: start me with child_process.fork (an IPC channel is needed)\n');
  process.exit(2);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop(0));
process.once('disconnect', () => void stop(0)); // the parent is gone: do not linger
process.on('message', (message: StartMessage) => {
  if (message?.type !== 'start') return;
  start(message).then(
    (ports) => send({ type: 'ready', ports }),
    (error: unknown) => {
      send({ type: 'failed', error: (error as Error)?.stack ?? String(error) });
      void stop(1);
    },
  );
});
