import { Global, Module, type DynamicModule } from '@nestjs/common';
import { configProviders, type AppConfig } from './load-config.js';

/**
 * Hands the configuration, validated once by loadConfig before start-up, to every module: each
 * part under its own token (`@Inject(httpConfig.KEY)`). Nothing inside Nest reads the
 * environment.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = configProviders(config);
    return {
      module: AppConfigModule,
      global: true,
      providers,
      exports: providers.map((p) => p.provide),
    };
  }
}
