import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Attributes of core aggregates that optional modules set, kept in the core schema so the hot
 * path (append, history) reads them in its one statement whatever the flags: a room may belong
 * to an organisation (`org_id`, no foreign key here: the organisations module adds it with its
 * table), a message may have been sent on its author's behalf (`sent_by`) or tombstoned
 * (`deleted_at`). All nullable and null unless a module that is on sets them; the modules'
 * own tables are created by their own migrations only when they are on.
 */
export class EnterpriseSeams1764000003000 implements MigrationInterface {
  name = 'EnterpriseSeams1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rooms ADD COLUMN org_id uuid NULL`);
    await q.query(`CREATE INDEX rooms_org_id_idx ON rooms (org_id) WHERE org_id IS NOT NULL`);
    await q.query(`ALTER TABLE messages ADD COLUMN sent_by uuid NULL REFERENCES users(id)`);
    await q.query(`ALTER TABLE messages ADD COLUMN deleted_at timestamptz NULL`);
    await q.query(
      `DROP FUNCTION IF EXISTS chat_append_message(uuid, uuid, text, text, text, boolean)`,
    );
    await q.query(appendFunction(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION IF EXISTS chat_append_message(uuid, uuid, text, text, text, boolean, uuid)`,
    );
    await q.query(appendFunction(false));
    await q.query(`ALTER TABLE messages DROP COLUMN deleted_at`);
    await q.query(`ALTER TABLE messages DROP COLUMN sent_by`);
    await q.query(`DROP INDEX rooms_org_id_idx`);
    await q.query(`ALTER TABLE rooms DROP COLUMN org_id`);
  }
}

/** chat_append_message (see AppendMessageFunction1764000002000), with or without sent_by. */
export function appendFunction(withSentBy: boolean): string {
  const sentByParam = withSentBy ? ', p_sent_by uuid' : '';
  const outCols = withSentBy ? ', sent_by uuid, deleted_at timestamptz' : '';
  const selCols = withSentBy ? ', m.sent_by, m.deleted_at' : '';
  const insCol = withSentBy ? ', sent_by' : '';
  const insVal = withSentBy ? ', p_sent_by' : '';
  return `
      CREATE FUNCTION chat_append_message(
        p_room uuid, p_user uuid, p_content text, p_type text, p_client_msg_id text, p_outbox boolean${sentByParam})
      RETURNS TABLE (id uuid, room_id uuid, seq bigint, user_id uuid, content text, type text,
                     client_msg_id text, created_at timestamptz${outCols}, username text, created boolean)
      LANGUAGE plpgsql AS $fn$
      #variable_conflict use_column
      DECLARE
        v_seq bigint;
      BEGIN
        IF p_client_msg_id IS NOT NULL THEN
          RETURN QUERY
            SELECT m.id, m.room_id, m.seq, m.user_id, m.content, m.type, m.client_msg_id, m.created_at${selCols}, u.username, false
              FROM messages m JOIN users u ON u.id = m.user_id
             WHERE m.user_id = p_user AND m.client_msg_id = p_client_msg_id;
          IF FOUND THEN RETURN; END IF;
        END IF;
        BEGIN
          UPDATE rooms r SET last_seq = r.last_seq + 1 WHERE r.id = p_room RETURNING r.last_seq INTO v_seq;
          IF NOT FOUND THEN RETURN; END IF; -- no such room: no rows
          RETURN QUERY
            INSERT INTO messages AS m (room_id, seq, user_id, content, type, client_msg_id${insCol})
            VALUES (p_room, v_seq, p_user, p_content, p_type, p_client_msg_id${insVal})
            RETURNING m.id, m.room_id, m.seq, m.user_id, m.content, m.type, m.client_msg_id, m.created_at${selCols},
                      (SELECT u.username FROM users u WHERE u.id = p_user), true;
          IF p_outbox THEN
            INSERT INTO event_outbox (event_key, room_id, seq) VALUES (p_room::text, p_room, v_seq);
          END IF;
        EXCEPTION WHEN unique_violation THEN
          RETURN QUERY
            SELECT m.id, m.room_id, m.seq, m.user_id, m.content, m.type, m.client_msg_id, m.created_at${selCols}, u.username, false
              FROM messages m JOIN users u ON u.id = m.user_id
             WHERE m.user_id = p_user AND m.client_msg_id = p_client_msg_id;
        END;
      END
      $fn$`;
}
