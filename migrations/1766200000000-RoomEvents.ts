import type { MigrationInterface, QueryRunner } from 'typeorm';
import { appendFunction } from './1764000003000-EnterpriseSeams.js';

/**
 * The room event log (contract v2, "Room events"), and what messages gain with it: edits,
 * tombstones, reactions, threads and mentions.
 *
 * - `room_events`: every change a room's members see, numbered per room by `event_seq` (gapless,
 *   assigned under the room row's lock, in the same transaction as the change). `data` is exactly
 *   what a subscriber gets live. It is also the Kafka outbox: `unpublished` rows are the ones the
 *   relay has not handed to the broker yet (see the event bus), so there is no separate record
 *   of a message to rebuild a payload from.
 * - `message_mentions`: sparse (room, seq, user) rows for mentioned members, indexed by user for
 *   unread-mention counts; `messages.mentions` keeps the same ids for reads.
 * - `message_reactions`: one row per (message, emoji, user).
 * - `chat_message_view`: the one JSON shape of a Message, used for room event data and reads.
 *
 * The old one-message PL/pgSQL append function goes: a message's seq (and its event's eventSeq)
 * is assigned by one statement only, the append CTE of the messages repository. Outbox records of
 * messages become unpublished room events; event_outbox keeps only events that belong to no
 * room's log (session revocations, a room's deletion).
 */
export class RoomEvents1766200000000 implements MigrationInterface {
  name = 'RoomEvents1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rooms ADD COLUMN last_event_seq bigint NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE TABLE room_events (
        room_id     uuid NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
        event_seq   bigint NOT NULL CHECK (event_seq > 0),
        kind        text NOT NULL,
        data        jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        unpublished boolean NOT NULL DEFAULT false,
        PRIMARY KEY (room_id, event_seq)
      )`);
    // The relay's backlog: small (rows leave it once the broker has them), read in log order.
    await q.query(
      `CREATE INDEX room_events_unpublished_idx ON room_events (room_id, event_seq) WHERE unpublished`,
    );

    await q.query(`
      ALTER TABLE messages
        ADD COLUMN edited_at      timestamptz NULL,
        ADD COLUMN thread_root_id uuid NULL,
        ADD COLUMN reply_count    integer NOT NULL DEFAULT 0,
        ADD COLUMN last_reply_at  timestamptz NULL,
        ADD COLUMN last_reply_seq bigint NULL,
        ADD COLUMN mentions       uuid[] NULL`);
    await q.query(
      `CREATE INDEX messages_thread_idx ON messages (room_id, thread_root_id, seq) WHERE thread_root_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE IF NOT EXISTS message_mentions (
        room_id uuid NOT NULL,
        seq     bigint NOT NULL,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (room_id, seq, user_id),
        FOREIGN KEY (room_id, seq) REFERENCES messages (room_id, seq) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS message_mentions_user_idx ON message_mentions (user_id, room_id, seq)`,
    );
    await q.query(`
      CREATE TABLE message_reactions (
        room_id    uuid NOT NULL,
        seq        bigint NOT NULL,
        emoji      text NOT NULL,
        user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (room_id, seq, emoji, user_id),
        FOREIGN KEY (room_id, seq) REFERENCES messages (room_id, seq) ON DELETE CASCADE
      )`);

    await q.query(`
      CREATE FUNCTION chat_iso(ts timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      $$`);
    await q.query(`
      CREATE FUNCTION chat_message_view(m messages, p_username text) RETURNS jsonb
      LANGUAGE sql STABLE AS $$
        SELECT jsonb_build_object(
          'id', m.id, 'roomId', m.room_id, 'seq', m.seq, 'userId', m.user_id,
          'username', p_username, 'content', m.content, 'type', m.type,
          'clientMsgId', m.client_msg_id, 'createdAt', chat_iso(m.created_at),
          'sentBy', m.sent_by, 'deletedAt', chat_iso(m.deleted_at),
          'deleted', m.deleted_at IS NOT NULL, 'editedAt', chat_iso(m.edited_at),
          'threadRootId', m.thread_root_id,
          'thread', CASE WHEN m.reply_count > 0 THEN jsonb_build_object(
                      'replyCount', m.reply_count, 'lastReplyAt', chat_iso(m.last_reply_at),
                      'lastReplySeq', m.last_reply_seq) END,
          'mentions', to_jsonb(COALESCE(m.mentions, '{}'::uuid[])),
          'reactions', '[]'::jsonb)
      $$`);

    // What was already there becomes the start of each room's log: one message.new per
    // message, eventSeq = seq (the log had no other events yet). Messages still waiting in the
    // outbox stay waiting, as unpublished events.
    await q.query(`
      INSERT INTO room_events (room_id, event_seq, kind, data, created_at, unpublished)
      SELECT m.room_id, m.seq, 'message.new',
             chat_message_view(m, u.username) || jsonb_build_object('eventSeq', m.seq),
             m.created_at,
             EXISTS (SELECT 1 FROM event_outbox o WHERE o.room_id = m.room_id AND o.seq = m.seq)
        FROM messages m JOIN users u ON u.id = m.user_id`);
    await q.query(`UPDATE rooms SET last_event_seq = last_seq`);
    await q.query(`DELETE FROM event_outbox WHERE payload IS NULL`);
    await q.query(`DROP INDEX IF EXISTS event_outbox_message_uq`);
    await q.query(
      `ALTER TABLE event_outbox DROP CONSTRAINT event_outbox_message_or_payload, DROP COLUMN room_id, DROP COLUMN seq, ALTER COLUMN payload SET NOT NULL`,
    );
    await q.query(
      `DROP FUNCTION IF EXISTS chat_append_message(uuid, uuid, text, text, text, boolean, uuid)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE event_outbox ALTER COLUMN payload DROP NOT NULL`);
    await q.query(`ALTER TABLE event_outbox ADD COLUMN room_id uuid, ADD COLUMN seq bigint`);
    await q.query(
      `ALTER TABLE event_outbox ADD CONSTRAINT event_outbox_message_or_payload CHECK ((room_id IS NOT NULL AND seq IS NOT NULL) OR payload IS NOT NULL)`,
    );
    await q.query(
      `CREATE UNIQUE INDEX event_outbox_message_uq ON event_outbox (room_id, seq) WHERE seq IS NOT NULL`,
    );
    await q.query(`DROP FUNCTION IF EXISTS chat_message_view(messages, text)`);
    await q.query(`DROP FUNCTION IF EXISTS chat_iso(timestamptz)`);
    await q.query(`DROP TABLE IF EXISTS message_reactions`);
    // message_mentions is the read state migration's too (it creates it when it runs first).
    const readState = (await q.query(
      `SELECT 1 FROM migrations WHERE name = 'ReadState1766300000000'`,
    )) as unknown[];
    if (readState.length === 0) await q.query(`DROP TABLE IF EXISTS message_mentions`);
    await q.query(`DROP INDEX IF EXISTS messages_thread_idx`);
    await q.query(`
      ALTER TABLE messages DROP COLUMN edited_at, DROP COLUMN thread_root_id, DROP COLUMN reply_count,
        DROP COLUMN last_reply_at, DROP COLUMN last_reply_seq, DROP COLUMN mentions`);
    await q.query(`DROP TABLE IF EXISTS room_events`);
    await q.query(`ALTER TABLE rooms DROP COLUMN last_event_seq`);
    await q.query(appendFunction(true));
  }
}
