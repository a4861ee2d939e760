export type { AppConfig, SigningAlgorithm, TokenLifetimes, TrustProxySetting } from './lib/app-config.interface';
export { ConfigError } from './lib/config-error';
export { loadConfig } from './lib/load-config';
export { ConfigModule, InjectAppConfig, APP_CONFIG } from './lib/config.module';
