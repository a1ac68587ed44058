import type { NewAuditEntry } from '../../domain/audit.js';

/** Anything that runs SQL: the DataSource, or a transaction's EntityManager. */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** Appends one audit row (inside the caller's transaction when given its manager). */
export async function insertAudit(run: SqlRunner, e: NewAuditEntry): Promise<void> {
  await run.query(
    `INSERT INTO admin_audit (actor_id, action, target_type, target_id, reason, details)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
    [e.actorId, e.action, e.targetType, e.targetId, e.reason, JSON.stringify(e.details)],
  );
}

/** ILIKE pattern for a substring search, with the wildcards in `q` taken literally. */
export const containsPattern = (q: string): string => `%${q.replace(/[\\%_]/g, (c) => '\\' + c)}%`;

/** A timestamptz as text with microseconds, for keyset cursors. */
export const cursorTs = (col: string): string =>
  `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
