import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { databaseConfig, type DatabaseConfig } from '../../config/configuration.js';
import { buildDataSourceOptions } from './data-source-options.js';
import { DatabaseWatch, ProbeConnection } from './database-watch.js';
import { GenericPlanPool } from './generic-plan-pool.js';
import { runMigrationsLocked } from './migrate.js';

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
      // The watch is what readiness asks about the database (HealthModule); the generic-plan
      // pool runs the statements that want one (message search).
      global: true,
      providers: [
        {
          provide: DatabaseWatch,
          useFactory: () => new DatabaseWatch(new ProbeConnection(options.url)),
        },
        {
          provide: GenericPlanPool,
          inject: [databaseConfig.KEY],
          useFactory: (cfg: DatabaseConfig) =>
            new GenericPlanPool(options.url, cfg.genericPlanPoolSize),
        },
      ],
      exports: [DatabaseWatch, GenericPlanPool],
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [databaseConfig.KEY],
          useFactory: (cfg: DatabaseConfig) => ({
            ...buildDataSourceOptions(options.url, options.migrations, cfg.poolSize),
            autoLoadEntities: true,
            // Start-up migration is ours (below), under an advisory lock.
            migrationsRun: false,
            runMigrationsAtStartup: cfg.migrationsRun,
          }),
          dataSourceFactory: async (dsOptions) => {
            const { runMigrationsAtStartup, ...rest } = dsOptions as DataSourceOptions & {
              runMigrationsAtStartup?: boolean;
            };
            const ds = await new DataSource(rest).initialize();
            if (runMigrationsAtStartup) {
              const applied = await runMigrationsLocked(ds);
              if (applied.length > 0) new Logger('Database').log({ applied }, 'applied migrations');
            }
            return ds;
          },
        }),
      ],
    };
  }
}
