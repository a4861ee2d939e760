import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type AppConfig } from '@authkit/config';
import { ObservabilityModule } from '@authkit/observability';
import type { DestinationStream } from 'pino';
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
      ],
      controllers: [HomeController],
    };
  }
}
