import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Appending a message in one round trip. The function takes the room's next seq and inserts the
 * message (and, when asked, its outbox record) in the caller's transaction. A concurrent send
 * with the same (sender, clientMsgId) loses on the unique index; the inner block's exception
 * handler rolls back its seq increment, so seqs stay gapless, and answers the winner's message.
 */
export class AppendMessageFunction1764000002000 implements MigrationInterface {
  name = 'AppendMessageFunction1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION chat_append_message(
        p_room uuid, p_user uuid, p_content text, p_type text, p_client_msg_id text, p_outbox boolean)
      RETURNS TABLE (id uuid, room_id uuid, seq bigint, user_id uuid, content text, type text,
                     client_msg_id text, created_at timestamptz, username text, created boolean)
      LANGUAGE plpgsql AS $fn$
      #variable_conflict use_column
      DECLARE
        v_seq bigint;
      BEGIN
        IF p_client_msg_id IS NOT NULL THEN
          RETURN QUERY
            SELECT m.id, m.room_id, m.seq, m.user_id, m.content, m.type, m.client_msg_id, m.created_at, u.username, false
              FROM messages m JOIN users u ON u.id = m.user_id
             WHERE m.user_id = p_user AND m.client_msg_id = p_client_msg_id;
          IF FOUND THEN RETURN; END IF;
        END IF;
        BEGIN
          UPDATE rooms r SET last_seq = r.last_seq + 1 WHERE r.id = p_room RETURNING r.last_seq INTO v_seq;
          IF NOT FOUND THEN RETURN; END IF; -- no such room: no rows
          RETURN QUERY
            INSERT INTO messages AS m (room_id, seq, user_id, content, type, client_msg_id)
            VALUES (p_room, v_seq, p_user, p_content, p_type, p_client_msg_id)
            RETURNING m.id, m.room_id, m.seq, m.user_id, m.content, m.type, m.client_msg_id, m.created_at,
                      (SELECT u.username FROM users u WHERE u.id = p_user), true;
          IF p_outbox THEN
            INSERT INTO event_outbox (event_key, room_id, seq) VALUES (p_room::text, p_room, v_seq);
          END IF;
        EXCEPTION WHEN unique_violation THEN
          RETURN QUERY
            SELECT m.id, m.room_id, m.seq, m.user_id, m.content, m.type, m.client_msg_id, m.created_at, u.username, false
              FROM messages m JOIN users u ON u.id = m.user_id
             WHERE m.user_id = p_user AND m.client_msg_id = p_client_msg_id;
        END;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP FUNCTION IF EXISTS chat_append_message(uuid, uuid, text, text, text, boolean)`,
    );
  }
}
