import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PreparedQueries } from '../../../../infrastructure/database/prepared.js';
import type {
  ClaimedScheduledMessage,
  ScheduledMessage,
  ScheduledStatus,
} from '../../domain/scheduled-message.js';
import {
  ScheduledMessageRepository,
  type NewScheduledMessage,
  type ScheduledChange,
} from '../../domain/scheduled-message.repository.js';

interface Row {
  id: string;
  room_id: string;
  user_id: string;
  content: string;
  thread_root_id: string | null;
  send_at: Date;
  status: ScheduledStatus;
  attempts: number;
  message_id: string | null;
  message_seq: string | null;
  failure_code: string | null;
  failure_reason: string | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLS = `id, room_id, user_id, content, thread_root_id, send_at, status, attempts, message_id,
  message_seq, failure_code, failure_reason, finished_at, created_at, updated_at`;

const toScheduled = (r: Row): ScheduledMessage => ({
  id: r.id,
  roomId: r.room_id,
  userId: r.user_id,
  content: r.content,
  threadRootId: r.thread_root_id,
  sendAt: r.send_at,
  status: r.status,
  attempts: r.attempts,
  messageId: r.message_id,
  messageSeq: r.message_seq === null ? null : Number(r.message_seq),
  failureCode: r.failure_code,
  failureReason: r.failure_reason,
  finishedAt: r.finished_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * Raw SQL. The sender's statements (claim, mark) are prepared: every instance runs the claim a
 * few times a second. The claim reads the partial index of pending rows by send_at.
 */
@Injectable()
export class SqlScheduledMessageRepository extends ScheduledMessageRepository {
  private readonly prepared: PreparedQueries;

  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
    this.prepared = new PreparedQueries(ds);
  }

  async create(input: NewScheduledMessage): Promise<ScheduledMessage> {
    const rows = await this.prepared.query<Row>(
      'scheduled_create',
      `INSERT INTO scheduled_messages (room_id, user_id, content, thread_root_id, send_at)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${COLS}`,
      [input.roomId, input.userId, input.content, input.threadRootId, input.sendAt],
    );
    return toScheduled(rows[0]);
  }

  async findOwn(id: string, userId: string): Promise<ScheduledMessage | null> {
    const rows = await this.prepared.query<Row>(
      'scheduled_find_own',
      `SELECT ${COLS} FROM scheduled_messages WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return rows[0] ? toScheduled(rows[0]) : null;
  }

  async listOwn(
    userId: string,
    limit: number,
    after: [string, string] | null,
  ): Promise<{ items: ScheduledMessage[]; next: [string, string] | null }> {
    const rows = after
      ? await this.prepared.query<Row>(
          'scheduled_list_after',
          `SELECT ${COLS} FROM scheduled_messages
            WHERE user_id = $1 AND (send_at, id) > ($3::timestamptz, $4::uuid)
            ORDER BY send_at, id LIMIT $2`,
          [userId, limit + 1, after[0], after[1]],
        )
      : await this.prepared.query<Row>(
          'scheduled_list_first',
          `SELECT ${COLS} FROM scheduled_messages WHERE user_id = $1 ORDER BY send_at, id LIMIT $2`,
          [userId, limit + 1],
        );
    const items = rows.slice(0, limit).map(toScheduled);
    const last = items[items.length - 1];
    return {
      items,
      next: rows.length > limit && last ? [last.sendAt.toISOString(), last.id] : null,
    };
  }

  async change(
    id: string,
    userId: string,
    decide: (current: ScheduledMessage) => ScheduledChange,
  ): Promise<ScheduledMessage | null> {
    return this.ds.transaction(async (tx) => {
      // The lock keeps a sender's claim (SKIP LOCKED) off the row until the change commits.
      const found = await tx.query<Row[]>(
        `SELECT ${COLS} FROM scheduled_messages WHERE id = $1 AND user_id = $2 FOR UPDATE`,
        [id, userId],
      );
      if (!found[0]) return null;
      const current = toScheduled(found[0]);
      const change = decide(current);
      if (change.kind === 'delete') {
        await tx.query(`DELETE FROM scheduled_messages WHERE id = $1`, [id]);
        return current;
      }
      const p = change.patch;
      await tx.query(
        `UPDATE scheduled_messages
            SET content = COALESCE($2, content),
                send_at = COALESCE($3, send_at),
                thread_root_id = CASE WHEN $4 THEN $5::uuid ELSE thread_root_id END,
                updated_at = clock_timestamp()
          WHERE id = $1`,
        [
          id,
          p.content ?? null,
          p.sendAt ?? null,
          p.threadRootId !== undefined,
          p.threadRootId ?? null,
        ],
      );
      const rows = await tx.query<Row[]>(`SELECT ${COLS} FROM scheduled_messages WHERE id = $1`, [
        id,
      ]);
      return toScheduled(rows[0]);
    });
  }

  async claimDue(
    limit: number,
    leaseMs: number,
    holder: string,
  ): Promise<ClaimedScheduledMessage[]> {
    const rows = await this.prepared.query<Row & { author_status: string }>(
      'scheduled_claim_due',
      `UPDATE scheduled_messages s
          SET claimed_by = $3, attempts = s.attempts + 1,
              claimed_until = now() + make_interval(secs => $2::double precision / 1000)
        WHERE s.id IN (
          SELECT id FROM scheduled_messages
           WHERE status = 'pending' AND send_at <= now()
             AND (claimed_until IS NULL OR claimed_until < now())
           ORDER BY send_at, created_at
           LIMIT $1
             FOR UPDATE SKIP LOCKED)
       RETURNING ${COLS}, (SELECT u.status FROM users u WHERE u.id = s.user_id) AS author_status`,
      [limit, leaseMs, holder],
    );
    // Due together: in the order they were scheduled.
    return rows
      .map((r) => ({ ...toScheduled(r), authorStatus: r.author_status }))
      .sort(
        (a, b) =>
          a.sendAt.getTime() - b.sendAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime(),
      );
  }

  async markSent(id: string, messageId: string, messageSeq: number): Promise<void> {
    await this.prepared.query(
      'scheduled_mark_sent',
      `UPDATE scheduled_messages
          SET status = 'sent', message_id = $2, message_seq = $3, claimed_until = NULL,
              finished_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE id = $1 AND status = 'pending'`,
      [id, messageId, messageSeq],
    );
  }

  async markFailed(
    id: string,
    clientMsgId: string,
    code: string,
    reason: string,
  ): Promise<'sent' | 'failed' | null> {
    const rows = await this.prepared.query<{ status: 'sent' | 'failed' }>(
      'scheduled_mark_failed',
      `UPDATE scheduled_messages s
          SET status = CASE WHEN m.id IS NULL THEN 'failed' ELSE 'sent' END,
              message_id = m.id, message_seq = m.seq,
              failure_code = CASE WHEN m.id IS NULL THEN $3 END,
              failure_reason = CASE WHEN m.id IS NULL THEN $4 END,
              claimed_until = NULL, finished_at = clock_timestamp(), updated_at = clock_timestamp()
         FROM scheduled_messages s0
         LEFT JOIN messages m
           ON m.user_id = s0.user_id AND m.client_msg_id = $2 AND m.room_id = s0.room_id
        WHERE s.id = $1 AND s0.id = s.id AND s.status = 'pending'
       RETURNING s.status`,
      [id, clientMsgId, code, reason],
    );
    return rows[0]?.status ?? null;
  }

  async release(id: string, delayMs: number): Promise<void> {
    await this.prepared.query(
      'scheduled_release',
      `UPDATE scheduled_messages
          SET claimed_until = now() + make_interval(secs => $2::double precision / 1000)
        WHERE id = $1 AND status = 'pending'`,
      [id, delayMs],
    );
  }
}
