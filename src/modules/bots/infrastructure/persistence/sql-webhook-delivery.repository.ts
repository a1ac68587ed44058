import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { MessageView } from '../../../../common/events/chat-events.js';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import {
  WebhookDeliveryRepository,
  type ClaimedDelivery,
  type DeliveryPage,
  type DeliveryRecord,
  type DeliveryStatus,
} from '../../domain/webhook-delivery.repository.js';

interface ClaimRow {
  id: string;
  bot_id: string;
  message_id: string;
  payload: ClaimedDelivery['payload'];
  attempts: number;
  webhook_url: string | null;
  token_hash: string;
  deleted_at: Date | null;
}

interface DeliveryRow {
  id: string;
  bot_id: string;
  message_id: string;
  room_id: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: Date;
  created_at: Date;
  delivered_at: Date | null;
  cursor_ts: string;
}

const toRecord = (r: DeliveryRow): DeliveryRecord => ({
  id: r.id,
  botId: r.bot_id,
  messageId: r.message_id,
  roomId: r.room_id,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});

@Injectable()
export class SqlWebhookDeliveryRepository extends WebhookDeliveryRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async enqueueForMessage(message: MessageView): Promise<number> {
    // Bots in the room since before the message (a bot added later never sees older messages,
    // however late the event arrives), with a webhook, other than the message's own author.
    const rows = await this.ds.query<{ id: string }[]>(
      `INSERT INTO webhook_deliveries (bot_id, message_id, room_id, payload)
       SELECT b.id, $1, $2, $4::jsonb
         FROM bots b
         JOIN room_members m ON m.room_id = $2 AND m.user_id = b.user_id
        WHERE b.webhook_url IS NOT NULL
          AND b.user_id <> $3
          AND date_trunc('milliseconds', m.joined_at) <= $5::timestamptz
       ON CONFLICT (bot_id, message_id) DO NOTHING
       RETURNING id`,
      [
        message.id,
        message.roomId,
        message.userId,
        JSON.stringify({ event: 'message.new', message }),
        message.createdAt,
      ],
    );
    return rows.length;
  }

  async claimDue(limit: number, leaseMs: number, holder: string): Promise<ClaimedDelivery[]> {
    const rows = rowsOf<ClaimRow>(
      await this.ds.query(
        `WITH due AS (
           SELECT id FROM webhook_deliveries
            WHERE status = 'pending' AND next_attempt_at <= now()
              AND (lease_until IS NULL OR lease_until <= now())
            ORDER BY next_attempt_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
         )
         UPDATE webhook_deliveries d
            SET lease_until = now() + make_interval(secs => $2::double precision / 1000),
                leased_by = $3, attempts = d.attempts + 1
           FROM due, bots b
          WHERE d.id = due.id AND b.id = d.bot_id
         RETURNING d.id, d.bot_id, d.message_id, d.payload, d.attempts, b.webhook_url, b.token_hash,
                   (SELECT msg.deleted_at FROM messages msg WHERE msg.id = d.message_id) AS deleted_at`,
        [limit, leaseMs, holder],
      ),
    );
    return rows.map((r) => ({
      id: r.id,
      botId: r.bot_id,
      messageId: r.message_id,
      payload: r.payload,
      attempts: r.attempts,
      webhookUrl: r.webhook_url,
      tokenHash: r.token_hash,
      messageDeleted: r.deleted_at !== null,
    }));
  }

  async markDelivered(id: string): Promise<void> {
    await this.ds.query(
      `UPDATE webhook_deliveries
          SET status = 'delivered', delivered_at = now(), lease_until = NULL, last_error = NULL
        WHERE id = $1 AND status = 'pending'`,
      [id],
    );
  }

  async markAttemptFailed(
    id: string,
    attempts: number,
    error: string,
    retryAt: Date | null,
  ): Promise<void> {
    await this.ds.query(
      `UPDATE webhook_deliveries
          SET status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
              next_attempt_at = COALESCE($4::timestamptz, next_attempt_at),
              lease_until = NULL, last_error = $3
        WHERE id = $1 AND status = 'pending' AND attempts = $2`,
      [id, attempts, error.slice(0, 500), retryAt],
    );
  }

  async purgeFinished(olderThanHours: number): Promise<number> {
    const rows = rowsOf<{ id: string }>(
      await this.ds.query(
        `DELETE FROM webhook_deliveries
          WHERE status <> 'pending' AND created_at < now() - make_interval(hours => $1)
         RETURNING id`,
        [olderThanHours],
      ),
    );
    return rows.length;
  }

  async listForBot(
    botId: string,
    status: DeliveryStatus | undefined,
    limit: number,
    after: [string, string] | null,
  ): Promise<DeliveryPage> {
    const params: unknown[] = [botId, limit + 1];
    let where = 'bot_id = $1';
    if (status) {
      params.push(status);
      where += ` AND status = $${params.length}`;
    }
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    const rows = await this.ds.query<DeliveryRow[]>(
      `SELECT id, bot_id, message_id, room_id, status, attempts, last_error, next_attempt_at,
              created_at, delivered_at,
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_ts
         FROM webhook_deliveries WHERE ${where}
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toRecord), next: more && last ? [last.cursor_ts, last.id] : null };
  }
}
