import type { MigrationInterface, QueryRunner } from 'typeorm';

const VIEW_WITHOUT_ATTACHMENTS = `
  CREATE OR REPLACE FUNCTION chat_message_view(m messages, p_username text) RETURNS jsonb
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
  $$`;

/**
 * Attachments (contract v2, "Attachments").
 *
 * - `attachments`: one upload. `object_key` is where its bytes are in the store (random, not
 *   derived from anything). Unbound (`message_id` NULL) until a send takes it; a send in flight
 *   marks it with `claim_token` first, so two sends cannot take the same upload. No foreign
 *   keys to rooms or messages: when a room or message goes, its rows stay until the sweeper has
 *   deleted their bytes too (a cascade would forget the files).
 * - `messages.attachments`: what the message carries, `[{id, filename, contentType, size}]`, NULL
 *   when none; chat_message_view shows it (always an array) so every read path and the message.new
 *   event have it. Download URLs are signed when a message is served, never stored.
 * - The partial index on `created_at` holds the unbound uploads only (the expiry scan); the one on
 *   (room_id, message_seq) the bound ones (a deleted message's files, the sweeper's other scan).
 */
export class Attachments1767100000000 implements MigrationInterface {
  name = 'Attachments1767100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE attachments (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        room_id      uuid NOT NULL,
        uploader_id  uuid NOT NULL,
        object_key   text NOT NULL UNIQUE,
        filename     text NOT NULL,
        content_type text NOT NULL,
        size         bigint NOT NULL CHECK (size > 0),
        created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
        uploaded_at  timestamptz,
        claim_token  uuid,
        claimed_at   timestamptz,
        message_id   uuid,
        message_seq  bigint,
        CHECK ((message_id IS NULL) = (message_seq IS NULL))
      )`);
    await q.query(
      `CREATE INDEX attachments_unbound_idx ON attachments (created_at) WHERE message_seq IS NULL`,
    );
    await q.query(
      `CREATE INDEX attachments_message_idx ON attachments (room_id, message_seq) WHERE message_seq IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX attachments_claim_idx ON attachments (claim_token) WHERE claim_token IS NOT NULL`,
    );
    await q.query(`ALTER TABLE messages ADD COLUMN attachments jsonb`);
    await q.query(
      VIEW_WITHOUT_ATTACHMENTS.replace(
        `'reactions', '[]'::jsonb)`,
        `'reactions', '[]'::jsonb,
      'attachments', COALESCE(m.attachments, '[]'::jsonb))`,
      ),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(VIEW_WITHOUT_ATTACHMENTS);
    await q.query(`ALTER TABLE messages DROP COLUMN IF EXISTS attachments`);
    await q.query(`DROP TABLE IF EXISTS attachments`);
  }
}
