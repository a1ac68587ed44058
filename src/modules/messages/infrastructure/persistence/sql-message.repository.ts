import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { RoomEvent, RoomEventDraft } from '../../../../common/events/chat-events.js';
import { OutboxPolicy } from '../../../../common/events/outbox.js';
import { PreparedQueries } from '../../../../infrastructure/database/prepared.js';
import { inRoomEventTx } from '../../../room-events/infrastructure/persistence/room-event-tx.js';
import type { HistoryQuery, Message } from '../../domain/message.js';
import {
  MessageRepository,
  type Appended,
  type Changed,
  type MessageChange,
  type NewMessage,
  type ReadOptions,
  type RenderedPage,
} from '../../domain/message.repository.js';
import { AppendBatcher } from './append-batcher.js';
import { REACTION_ADD, REACTION_REMOVE, REACTION_STATE } from './reaction-statements.js';

interface PageRow {
  items: string;
  first_seq: string | null;
  last_seq: string | null;
  more: boolean;
  att: boolean;
}

/** chat_message_view (see the RoomEvents migration) is the one JSON shape of a Message. */
const toMessage = (v: Record<string, unknown>): Message => {
  const { eventSeq: _eventSeq, ...message } = v;
  return message as unknown as Message;
};

/**
 * A message as a reader sees it: the view plus its reactions, `me` for the reader (`$R`).
 * The reactions are read by the (room_id, seq, ...) primary key of message_reactions. Exported
 * for other read paths of whole messages (search), so a Message has one shape everywhere.
 */
export const view = (reader: string) => `
  chat_message_view(m, u.username) || jsonb_build_object('reactions', COALESCE((
    SELECT jsonb_agg(jsonb_build_object('emoji', r.emoji, 'count', r.n, 'me', r.me) ORDER BY r.first, r.emoji)
      FROM (SELECT mr.emoji, count(*)::int AS n, COALESCE(bool_or(mr.user_id = ${reader}::uuid), false) AS me,
                   min(mr.created_at) AS first
              FROM message_reactions mr WHERE mr.room_id = m.room_id AND mr.seq = m.seq
             GROUP BY mr.emoji) r), '[]'::jsonb)) AS v`;

const FROM = `FROM messages m JOIN users u ON u.id = m.user_id`;

/**
 * Plain SQL on the hot path: no entity hydration. A send is one statement (the append CTE, see
 * AppendBatcher), shared by every send in flight; history reads ride the (room_id, seq) primary
 * key (a thread's, the (room_id, thread_root_id, seq) index), never OFFSET. Edits and deletes run
 * under the room's lock with their room event (RoomEventTx); reactions are optimistic on the
 * room's eventSeq (reaction-statements.ts).
 */
@Injectable()
export class SqlMessageRepository extends MessageRepository {
  private readonly unpublished: boolean;
  private readonly batcher: AppendBatcher;
  private readonly prepared: PreparedQueries;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Optional() outbox?: OutboxPolicy,
  ) {
    super();
    // With the Kafka bus, room events wait in the log for the relay (the log is the outbox).
    this.unpublished = outbox?.enabled ?? false;
    this.prepared = new PreparedQueries(ds);
    this.batcher = new AppendBatcher(this.prepared, this.unpublished, (msg) => this.existing(msg));
  }

  async appendToRoom(msg: NewMessage): Promise<Appended | null> {
    const outcome = await this.batcher.append(msg);
    if (!outcome) return null;
    if ('existing' in outcome)
      return { message: toMessage(outcome.existing), event: null, created: false };
    const { data, event_seq, event_created_at } = outcome.stored;
    const event = {
      eventSeq: Number(event_seq),
      event: 'message.new',
      data,
      createdAt: event_created_at,
    } as unknown as RoomEvent;
    return { message: toMessage(data), event, created: true };
  }

  /** The message a repeated clientMsgId names (null: none, so the room was gone). */
  private async existing(msg: NewMessage): Promise<{ existing: Record<string, unknown> } | null> {
    if (msg.clientMsgId === null) return null;
    const rows = await this.prepared.query<{ v: Record<string, unknown> }>(
      'message_by_client_id',
      `SELECT ${view('$3')} ${FROM} WHERE m.user_id = $1 AND m.client_msg_id = $2`,
      [msg.userId, msg.clientMsgId, msg.userId],
    );
    return rows[0] ? { existing: rows[0].v } : null;
  }

  async findAfterSeq(
    roomId: string,
    afterSeq: number,
    limit: number,
    opts: ReadOptions = {},
  ): Promise<Message[]> {
    const rows = await this.prepared.query<{ v: Record<string, unknown> }>(
      'messages_after',
      `SELECT ${view('$4')} ${FROM} WHERE m.room_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`,
      [roomId, afterSeq, limit, opts.readerId ?? null],
    );
    return rows.map((r) => toMessage(r.v));
  }

  async readPage(roomId: string, query: HistoryQuery, readerId: string): Promise<RenderedPage> {
    // One fixed text per variant (prepared statements): $1 room, $2 limit, $3 reader, then the
    // cursor and the thread when there are.
    const params: unknown[] = [roomId, query.limit, readerId];
    let where = 'm.room_id = $1';
    if (query.kind !== 'latest') {
      params.push(query.seq);
      where +=
        query.kind === 'after'
          ? ` AND m.seq > $${params.length}`
          : ` AND m.seq < $${params.length}`;
    }
    if (query.threadRootId !== undefined) {
      params.push(query.threadRootId);
      where += ` AND m.thread_root_id = $${params.length}`;
    }
    const order = query.kind === 'after' ? 'ASC' : 'DESC';
    const name = `history_${query.kind}${query.threadRootId !== undefined ? '_thread' : ''}`;
    // limit + 1 rows read: the last one only tells whether there is more.
    const [row] = await this.prepared.query<PageRow>(
      name,
      `SELECT COALESCE('[' || string_agg(p.v::text, ',' ORDER BY p.seq) FILTER (WHERE p.rn <= $2) || ']', '[]') AS items,
              min(p.seq) FILTER (WHERE p.rn <= $2) AS first_seq,
              max(p.seq) FILTER (WHERE p.rn <= $2) AS last_seq,
              count(*) > $2 AS more,
              COALESCE(bool_or(p.att) FILTER (WHERE p.rn <= $2), false) AS att
         FROM (SELECT m.seq, m.attachments IS NOT NULL AS att,
                      row_number() OVER (ORDER BY m.seq ${order}) AS rn, ${view('$3')}
                 ${FROM} WHERE ${where} ORDER BY m.seq ${order} LIMIT $2 + 1) p`,
      params,
    );
    return {
      itemsJson: row.items,
      firstSeq: row.first_seq === null ? null : Number(row.first_seq),
      lastSeq: row.last_seq === null ? null : Number(row.last_seq),
      more: row.more,
      withAttachments: row.att,
    };
  }

  async findById(roomId: string, id: string, readerId?: string): Promise<Message | null> {
    const rows = await this.prepared.query<{ v: Record<string, unknown> }>(
      'message_by_id',
      `SELECT ${view('$3')} ${FROM} WHERE m.room_id = $1 AND m.id = $2`,
      [roomId, id, readerId ?? null],
    );
    return rows[0] ? toMessage(rows[0].v) : null;
  }

  private inRoom<T>(
    roomId: string,
    change: Parameters<typeof inRoomEventTx<T>>[3],
  ): Promise<T | null> {
    return inRoomEventTx((fn) => this.ds.transaction(fn), roomId, this.unpublished, change);
  }

  /** The message inside a transaction that holds the room's lock (reactions not needed). */
  private async current(m: EntityManager, roomId: string, id: string): Promise<Message | null> {
    const rows = await m.query<{ v: Record<string, unknown> }[]>(
      `SELECT chat_message_view(m, u.username) AS v ${FROM} WHERE m.room_id = $1 AND m.id = $2`,
      [roomId, id],
    );
    return rows[0] ? toMessage(rows[0].v) : null;
  }

  async change(
    roomId: string,
    id: string,
    decide: (current: Message) => MessageChange,
  ): Promise<Changed | null> {
    const result = await this.inRoom<Changed | null>(roomId, async (tx, m) => {
      const current = await this.current(m, roomId, id);
      if (!current) return null;
      const change = decide(current);
      if (change.kind === 'none') return { message: current, event: null };
      if (change.kind === 'edit') {
        // Mentions follow the content: who is named now, among the room's members.
        await m.query(
          `WITH men AS (
                  SELECT DISTINCT u.id FROM unnest($4::text[]) AS nm(name)
                    JOIN users u ON lower(u.username) = nm.name
                    JOIN room_members rm ON rm.room_id = $1 AND rm.user_id = u.id),
                upd AS (
                  UPDATE messages SET content = $3, edited_at = now(),
                         mentions = (SELECT array_agg(id ORDER BY id) FROM men)
                   WHERE room_id = $1 AND id = $2 RETURNING seq),
                gone AS (
                  DELETE FROM message_mentions mm USING upd
                   WHERE mm.room_id = $1 AND mm.seq = upd.seq AND mm.user_id NOT IN (SELECT id FROM men))
           INSERT INTO message_mentions (room_id, seq, user_id)
           SELECT $1, upd.seq, men.id FROM upd, men ON CONFLICT DO NOTHING`,
          [roomId, id, change.content, change.mentionNames],
        );
        const message = (await this.current(m, roomId, id))!;
        const event = await tx.append({
          event: 'message.edited',
          data: {
            roomId,
            id,
            seq: message.seq,
            content: message.content,
            editedAt: message.editedAt!,
            mentions: message.mentions,
          },
        });
        return { message, event };
      }
      // A tombstone: content gone, seq kept; its reactions, mentions and attachments go with the
      // content (the files: MessagesService has them deleted once this committed).
      await m.query(
        `UPDATE messages SET content = '', deleted_at = now(), mentions = NULL, attachments = NULL
          WHERE room_id = $1 AND id = $2`,
        [roomId, id],
      );
      await m.query(`DELETE FROM message_reactions WHERE room_id = $1 AND seq = $2`, [
        roomId,
        current.seq,
      ]);
      await m.query(`DELETE FROM message_mentions WHERE room_id = $1 AND seq = $2`, [
        roomId,
        current.seq,
      ]);
      const message = (await this.current(m, roomId, id))!;
      const event = await tx.append({
        event: 'message.deleted',
        data: { roomId, id, seq: message.seq },
      });
      return { message, event };
    });
    return result ?? null;
  }

  /**
   * Optimistic (see reaction-statements.ts): a snapshot read, the domain check, then a write
   * that only happens if the room's log has not moved since the read. After a few lost races
   * (a busy room), the same change under the room's lock for the whole check.
   */
  async react(
    roomId: string,
    id: string,
    userId: string,
    emoji: string,
    add: boolean,
    check: (current: Message, distinctEmojis: number, emojiThere: boolean) => void,
  ): Promise<Changed | null> {
    for (let attempt = 0; attempt < OPTIMISTIC_TRIES; attempt++) {
      const [state] = await this.prepared.query<ReactionState>('reaction_state', REACTION_STATE, [
        roomId,
        id,
        emoji,
        userId,
      ]);
      if (!state) return null;
      const current = toMessage(state.v);
      check(current, state.n, state.there);
      // A repeated PUT or DELETE changes nothing and records nothing.
      if (add === state.mine) return { message: current, event: null };
      const draft = reactionEvent(roomId, current, emoji, userId, add);
      const [row] = await this.prepared.query<{ event_seq: string; created_at: string }>(
        add ? 'reaction_add' : 'reaction_remove',
        add ? REACTION_ADD : REACTION_REMOVE,
        [
          roomId,
          current.seq,
          emoji,
          userId,
          state.version,
          JSON.stringify(draft.data),
          this.unpublished,
        ],
      );
      if (row) {
        const eventSeq = Number(row.event_seq);
        const event = {
          eventSeq,
          event: draft.event,
          data: { ...draft.data, eventSeq },
          createdAt: row.created_at,
        } as RoomEvent;
        return { message: current, event };
      }
    }
    return this.reactLocked(roomId, id, userId, emoji, add, check);
  }

  /** The same change with the room's lock held from the read to the write. */
  private async reactLocked(
    roomId: string,
    id: string,
    userId: string,
    emoji: string,
    add: boolean,
    check: (current: Message, distinctEmojis: number, emojiThere: boolean) => void,
  ): Promise<Changed | null> {
    const result = await this.inRoom<Changed | null>(roomId, async (tx, m) => {
      // The optimistic path's own read; under the lock nothing can move after it.
      const [state] = await m.query<ReactionState[]>(REACTION_STATE, [roomId, id, emoji, userId]);
      if (!state) return null;
      const current = toMessage(state.v);
      check(current, state.n, state.there);
      if (add === state.mine) return { message: current, event: null };
      if (add)
        await m.query(
          `INSERT INTO message_reactions (room_id, seq, emoji, user_id) VALUES ($1, $2, $3, $4)`,
          [roomId, current.seq, emoji, userId],
        );
      else
        await m.query(
          `DELETE FROM message_reactions WHERE room_id = $1 AND seq = $2 AND emoji = $3 AND user_id = $4`,
          [roomId, current.seq, emoji, userId],
        );
      const event = await tx.append(reactionEvent(roomId, current, emoji, userId, add));
      return { message: current, event };
    });
    return result ?? null;
  }
}

/** Optimistic reaction writes tried before falling back to the locked path. */
const OPTIMISTIC_TRIES = 3;

interface ReactionState {
  v: Record<string, unknown>;
  /** The room's last_event_seq when read: the version the write is conditional on. */
  version: string;
  n: number;
  there: boolean;
  mine: boolean;
}

function reactionEvent(
  roomId: string,
  current: Message,
  emoji: string,
  userId: string,
  add: boolean,
): RoomEventDraft {
  return {
    event: add ? 'reaction.added' : 'reaction.removed',
    data: { roomId, messageId: current.id, seq: current.seq, emoji, userId },
  };
}
