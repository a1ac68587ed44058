import type { DataSource } from 'typeorm';

/** The part of pg's Pool this uses (TypeORM's own pool is one). */
export interface PgPool {
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** TypeORM's own pg pool, under its DataSource. */
export const poolOf = (ds: DataSource): PgPool =>
  (ds.driver as unknown as { master: PgPool }).master;

/**
 * Runs a hot-path statement as a named prepared statement on TypeORM's own pg pool: each
 * connection parses and plans it once instead of on every call. For fixed SQL only (the name
 * identifies the text).
 */
export class PreparedQueries {
  private pool: PgPool | null = null;

  constructor(private readonly ds: DataSource) {}

  async query<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    this.pool ??= poolOf(this.ds);
    const result = await this.pool.query({ name, text, values });
    return result.rows as T[];
  }
}
