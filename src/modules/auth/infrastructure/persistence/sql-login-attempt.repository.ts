import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import { LoginAttemptRepository } from '../../domain/login-attempt.repository.js';
import {
  claimAttempt,
  type BackoffPolicy,
  type ClaimDecision,
} from '../../domain/login-backoff.js';

interface AttemptRow {
  failures: number;
  last_attempt_at: Date;
  blocked_until: Date;
  now: Date;
}

/**
 * login_attempts in PostgreSQL: every instance behind the load balancer sees one count per key.
 * The row lock serialises concurrent attempts on a key, and the database's clock is the one
 * clock all instances share, so the rule is applied to one time line.
 */
@Injectable()
export class SqlLoginAttemptRepository extends LoginAttemptRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  claim(key: Buffer, policy: BackoffPolicy): Promise<ClaimDecision> {
    return this.ds.transaction(async (m) => {
      // A row to lock even for a key's first attempt (failures 0 counts as no record).
      await m.query(
        `INSERT INTO login_attempts (key, failures, last_attempt_at, blocked_until)
         VALUES ($1, 0, clock_timestamp(), clock_timestamp()) ON CONFLICT (key) DO NOTHING`,
        [key],
      );
      const [row] = await m.query<AttemptRow[]>(
        `SELECT failures, last_attempt_at, blocked_until, clock_timestamp() AS now
           FROM login_attempts WHERE key = $1 FOR UPDATE`,
        [key],
      );
      const current =
        row.failures === 0
          ? null
          : {
              failures: row.failures,
              lastAttemptAt: row.last_attempt_at.getTime(),
              blockedUntil: row.blocked_until.getTime(),
            };
      const decision = claimAttempt(current, row.now.getTime(), policy);
      if (decision.allowed)
        await m.query(
          `UPDATE login_attempts SET failures = $2, last_attempt_at = $3, blocked_until = $4
            WHERE key = $1`,
          [
            key,
            decision.next.failures,
            new Date(decision.next.lastAttemptAt),
            new Date(decision.next.blockedUntil),
          ],
        );
      return decision;
    });
  }

  async clear(key: Buffer): Promise<void> {
    await this.ds.query(`DELETE FROM login_attempts WHERE key = $1`, [key]);
  }

  async purgeForgotten(policy: BackoffPolicy): Promise<number> {
    // The same condition as isForgotten, as a range scan on the index.
    const rows = rowsOf<{ key: Buffer }>(
      await this.ds.query(
        `DELETE FROM login_attempts
          WHERE last_attempt_at < clock_timestamp() - make_interval(secs => $1)
            AND blocked_until <= clock_timestamp()
          RETURNING key`,
        [policy.forgetAfterMs / 1000],
      ),
    );
    return rows.length;
  }
}
