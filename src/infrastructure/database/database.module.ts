import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { databaseConfig, type DatabaseConfig } from '../../config/configuration.js';
import { buildDataSourceOptions } from './data-source-options.js';

export interface DatabaseModuleOptions {
  /** Resolved connection string (the embedded server's when DATABASE_URL is unset). */
  url: string;
  /** Migration classes to apply: the core's plus those of the enabled enterprise modules. */
  migrations: (new () => unknown)[];
}

@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          imports: [ConfigModule.forFeature(databaseConfig)],
          inject: [databaseConfig.KEY],
          useFactory: (cfg: DatabaseConfig) => ({
            ...buildDataSourceOptions(options.url, options.migrations, cfg.poolSize),
            migrationsRun: cfg.migrationsRun,
            autoLoadEntities: true,
          }),
        }),
      ],
    };
  }
}
