import type { DataSourceOptions } from 'typeorm';

/** Shared by the app and the migration CLI so both see the same schema settings. */
export function buildDataSourceOptions(
  url: string,
  migrations: (new () => unknown)[],
  poolSize = 20,
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    // Schema changes only through migrations, never synchronize.
    synchronize: false,
    migrations: migrations as DataSourceOptions['migrations'],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    extra: { max: poolSize, application_name: 'chat-backend' },
    logging: ['error', 'warn', 'migration'],
  };
}
