import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OutboxPolicy } from '../../../../common/events/outbox.js';
import type { Message, MessageType } from '../../domain/message.js';
import { MessageRepository, type NewMessage } from '../../domain/message.repository.js';

interface MessageRow {
  id: string;
  room_id: string;
  seq: string;
  user_id: string;
  username: string;
  content: string;
  type: MessageType;
  client_msg_id: string | null;
  created_at: Date;
}

const toMessage = (r: MessageRow): Message => ({
  id: r.id,
  roomId: r.room_id,
  seq: Number(r.seq),
  userId: r.user_id,
  username: r.username,
  content: r.content,
  type: r.type,
  clientMsgId: r.client_msg_id,
  createdAt: r.created_at.toISOString(),
});

const SELECT = `SELECT m.id, m.room_id, m.seq, m.user_id, u.username, m.content, m.type, m.client_msg_id, m.created_at
                  FROM messages m JOIN users u ON u.id = m.user_id`;

/**
 * Plain SQL on the hot path: no entity hydration. History reads ride the (room_id, seq)
 * primary key, never OFFSET.
 */
/**
 * One statement takes the room's next seq and stores the message (and, with the Kafka bus, its
 * outbox record, in the same transaction).
 */
const appendSql = (withOutbox: boolean) => `
  WITH s AS (UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq),
       m AS (INSERT INTO messages (room_id, seq, user_id, content, type, client_msg_id)
             SELECT $1, s.last_seq, $2, $3, $4, $5 FROM s
             ON CONFLICT (user_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING
             RETURNING id, room_id, seq, user_id, content, type, client_msg_id, created_at)${
               withOutbox
                 ? `,
       o AS (INSERT INTO event_outbox (event_key, room_id, seq) SELECT room_id::text, room_id, seq FROM m)`
                 : ''
             }
  SELECT m.*, (SELECT username FROM users WHERE id = $2) AS username FROM m`;

@Injectable()
export class SqlMessageRepository extends MessageRepository {
  private readonly appendSql: string;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Optional() outbox?: OutboxPolicy,
  ) {
    super();
    this.appendSql = appendSql(outbox?.enabled ?? false);
  }

  async appendToRoom(msg: NewMessage): Promise<{ message: Message; created: boolean } | null> {
    if (msg.clientMsgId) {
      const existing = await this.findByClientMsgId(msg.userId, msg.clientMsgId);
      if (existing) return { message: existing, created: false };
    }
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      // The room row lock serialises writers per room; a rollback undoes the increment,
      // so seqs stay gapless.
      const rows = (await runner.query(this.appendSql, [
        msg.roomId,
        msg.userId,
        msg.content,
        msg.type,
        msg.clientMsgId,
      ])) as MessageRow[];
      if (rows.length === 0) {
        await runner.rollbackTransaction();
        // Either the room is gone, or a concurrent send with the same clientMsgId won.
        const winner = msg.clientMsgId
          ? await this.findByClientMsgId(msg.userId, msg.clientMsgId)
          : null;
        return winner ? { message: winner, created: false } : null;
      }
      await runner.commitTransaction();
      return { message: toMessage(rows[0]), created: true };
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw err;
    } finally {
      await runner.release();
    }
  }

  async findAfterSeq(roomId: string, afterSeq: number, limit: number): Promise<Message[]> {
    const rows = await this.ds.query<MessageRow[]>(
      `${SELECT} WHERE m.room_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`,
      [roomId, afterSeq, limit],
    );
    return rows.map(toMessage);
  }

  async findBeforeSeq(roomId: string, beforeSeq: number, limit: number): Promise<Message[]> {
    const rows = await this.ds.query<MessageRow[]>(
      `${SELECT} WHERE m.room_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3`,
      [roomId, beforeSeq, limit],
    );
    return rows.reverse().map(toMessage);
  }

  async findLatest(roomId: string, limit: number): Promise<Message[]> {
    const rows = await this.ds.query<MessageRow[]>(
      `${SELECT} WHERE m.room_id = $1 ORDER BY m.seq DESC LIMIT $2`,
      [roomId, limit],
    );
    return rows.reverse().map(toMessage);
  }

  private async findByClientMsgId(userId: string, clientMsgId: string): Promise<Message | null> {
    const rows = await this.ds.query<MessageRow[]>(
      `${SELECT} WHERE m.user_id = $1 AND m.client_msg_id = $2`,
      [userId, clientMsgId],
    );
    return rows[0] ? toMessage(rows[0]) : null;
  }
}
