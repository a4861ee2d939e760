import { type DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@authkit/auth';
import { ConfigModule, type AppConfig } from '@authkit/config';
import { ObservabilityModule } from '@authkit/observability';
import type { DestinationStream } from 'pino';
import { ApiController } from './api/api.controller';
import { demoAuthOptions } from './auth-options.factory';
import { HomeController } from './home.controller';

/** The demo service. It talks to auth-server only over HTTP, as any client would. */
@Module({})
export class DemoModule {
  static forRoot(config: AppConfig, logDestination?: DestinationStream): DynamicModule {
    return {
      module: DemoModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ service: 'demo', logLevel: config.logLevel, trustProxy: config.trustProxy, logDestination }),
        AuthModule.forRootAsync({ useFactory: () => demoAuthOptions(config) }),
      ],
      controllers: [HomeController, ApiController],
    };
  }
}
