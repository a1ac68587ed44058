import { Logger } from '@nestjs/common';
import type { DataSourceOptions, Logger as TypeOrmLogger } from 'typeorm';

/**
 * TypeORM's own console logger prints every failed query, including the unique violations that
 * are expected and answered as 409s. Failures that matter surface as errors the app logs itself;
 * here only schema and migration news and warnings go to the app's logger.
 */
class QuietTypeOrmLogger implements TypeOrmLogger {
  private readonly out = new Logger('TypeORM');
  logQuery(): void {}
  logQueryError(): void {}
  logQuerySlow(time: number, query: string): void {
    this.out.warn({ ms: time, query: query.slice(0, 200) }, 'slow query');
  }
  logSchemaBuild(message: string): void {
    this.out.log(message);
  }
  logMigration(message: string): void {
    this.out.log(message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.out.warn(String(message));
  }
}

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
    logger: new QuietTypeOrmLogger(),
    maxQueryExecutionTime: 1000,
  };
}
