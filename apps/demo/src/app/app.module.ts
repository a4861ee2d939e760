import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@authkit/auth';
import { APP_CONFIG, ConfigModule, type AppConfig } from '@authkit/config';
import { ObservabilityModule } from '@authkit/observability';
import type { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { ApiController } from './api/api.controller';
import { demoAuthOptions } from './auth-options.factory';
import { HomeController } from './home.controller';
import { DEMO_CLIENT_SECRET } from './oidc/client-secret';
import { SecurityModule } from './security/security.module';
import { DEMO_REDIS, SessionModule, type SessionModuleOptions } from './session/session.module';
import { SessionService } from './session/session.service';
import { SignInModule } from './sign-in/sign-in.module';

/** The demo service. It talks to auth-server only over HTTP, as any client would. */
@Module({})
export class DemoModule {
  static forRoot(config: AppConfig, logDestination?: DestinationStream, sessionOptions?: SessionModuleOptions): DynamicModule {
    return {
      module: DemoModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ service: 'demo', logLevel: config.logLevel, trustProxy: config.trustProxy, logDestination }),
        SessionModule.forRoot(sessionOptions),
        AuthModule.forRootAsync({
          useFactory: (appConfig: AppConfig, secret: string, redis: Redis | null, sessions: SessionService) => demoAuthOptions(appConfig, secret, redis, sessions),
          inject: [APP_CONFIG, DEMO_CLIENT_SECRET, DEMO_REDIS, SessionService],
        }),
        SignInModule,
        SecurityModule,
      ],
      controllers: [HomeController, ApiController],
    };
  }
}
