import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OutboxPolicy } from '../../../../common/events/outbox.js';
import type { Message, MessageType } from '../../domain/message.js';
import { MessageRepository, type NewMessage } from '../../domain/message.repository.js';
import { PreparedQueries } from '../../../../infrastructure/database/prepared.js';
import { AppendBatcher } from './append-batcher.js';

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
  sent_by: string | null;
  deleted_at: Date | null;
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
  sentBy: r.sent_by,
  deletedAt: r.deleted_at ? r.deleted_at.toISOString() : null,
});

const SELECT = `SELECT m.id, m.room_id, m.seq, m.user_id, u.username, m.content, m.type, m.client_msg_id, m.created_at, m.sent_by, m.deleted_at
                  FROM messages m JOIN users u ON u.id = m.user_id`;

/**
 * Plain SQL on the hot path: no entity hydration. A send is one round trip (the
 * chat_append_message function, see its migration); history reads ride the (room_id, seq)
 * primary key, never OFFSET.
 */
@Injectable()
export class SqlMessageRepository extends MessageRepository {
  private readonly withOutbox: boolean;
  private readonly batcher: AppendBatcher;
  private readonly prepared: PreparedQueries;

  constructor(@InjectDataSource() ds: DataSource, @Optional() outbox?: OutboxPolicy) {
    super();
    // With the Kafka bus, the outbox record is written in the message's own transaction.
    this.withOutbox = outbox?.enabled ?? false;
    this.prepared = new PreparedQueries(ds);
    this.batcher = new AppendBatcher(this.prepared, this.withOutbox, (msg) => this.appendOne(msg));
  }

  async appendToRoom(msg: NewMessage): Promise<{ message: Message; created: boolean } | null> {
    const row = await this.batcher.append(msg);
    return row ? { message: toMessage(row), created: row.created !== false } : null;
  }

  /**
   * One message, one statement (chat_append_message): the room row lock serialises writers per
   * room, and a failed insert rolls back its seq increment, so seqs stay gapless; a repeated
   * clientMsgId answers the first message with created = false.
   */
  private async appendOne(msg: NewMessage): Promise<(MessageRow & { created: boolean }) | null> {
    const rows = await this.prepared.query<MessageRow & { created: boolean }>(
      'chat_append_message',
      `SELECT * FROM chat_append_message($1, $2, $3, $4, $5, $6, $7)`,
      [
        msg.roomId,
        msg.userId,
        msg.content,
        msg.type,
        msg.clientMsgId,
        this.withOutbox,
        msg.sentBy ?? null,
      ],
    );
    return rows[0] ?? null;
  }

  async findAfterSeq(roomId: string, afterSeq: number, limit: number): Promise<Message[]> {
    const rows = await this.prepared.query<MessageRow>(
      'messages_after',

      `${SELECT} WHERE m.room_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`,
      [roomId, afterSeq, limit],
    );
    return rows.map(toMessage);
  }

  async findBeforeSeq(roomId: string, beforeSeq: number, limit: number): Promise<Message[]> {
    const rows = await this.prepared.query<MessageRow>(
      'messages_before',

      `${SELECT} WHERE m.room_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3`,
      [roomId, beforeSeq, limit],
    );
    return rows.reverse().map(toMessage);
  }

  async findLatest(roomId: string, limit: number): Promise<Message[]> {
    const rows = await this.prepared.query<MessageRow>(
      'messages_latest',

      `${SELECT} WHERE m.room_id = $1 ORDER BY m.seq DESC LIMIT $2`,
      [roomId, limit],
    );
    return rows.reverse().map(toMessage);
  }

  async findById(roomId: string, id: string): Promise<Message | null> {
    const rows = await this.prepared.query<MessageRow>(
      'message_by_id',
      `${SELECT} WHERE m.room_id = $1 AND m.id = $2`,
      [roomId, id],
    );
    return rows[0] ? toMessage(rows[0]) : null;
  }

  async tombstone(
    roomId: string,
    id: string,
  ): Promise<{ message: Message; changed: boolean } | null> {
    const updated = await this.prepared.query<{ id: string }>(
      'message_tombstone',
      `UPDATE messages SET content = '', deleted_at = now()
        WHERE room_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id`,
      [roomId, id],
    );
    const message = await this.findById(roomId, id);
    return message ? { message, changed: updated.length > 0 } : null;
  }
}
