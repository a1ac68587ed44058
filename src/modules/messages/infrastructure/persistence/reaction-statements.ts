import {
  advanceRooms,
  appendOneEvent,
  lockRooms,
} from '../../../room-events/infrastructure/persistence/room-position.js';

/**
 * Reactions without a transaction: two statements, each its own implicit transaction.
 *
 * The version of a room's messages is its `last_event_seq`. Every change to a message or to its
 * reactions (send, edit, delete, react) appends a room event under the room's lock in the same
 * transaction, so the room's last_event_seq moves whenever what a reaction is checked against
 * (the message, its distinct emojis, the reactor's own reactions) moves.
 *
 * 1. REACTION_STATE reads the message, its reaction state and that version in one snapshot.
 * 2. The domain rules check the state (tombstone, 20 distinct emojis, ...) in the service.
 * 3. REACTION_ADD / REACTION_REMOVE lock the room (room-position.ts), and only if its
 *    last_event_seq is still the version read, write the reaction and its room event, taking the
 *    next eventSeq by the same rule as every other writer. No row back: something changed in
 *    between; the caller reads and checks again.
 *
 * Two round trips and no BEGIN/COMMIT, instead of five statements inside a transaction that
 * holds the room's lock across round trips (which every send to the room queues behind).
 */

/** $1 room, $2 message id, $3 emoji, $4 reactor. */
export const REACTION_STATE = `
  SELECT chat_message_view(m, u.username) AS v, r.last_event_seq::text AS version,
         (SELECT count(DISTINCT mr.emoji)::int FROM message_reactions mr
           WHERE mr.room_id = m.room_id AND mr.seq = m.seq) AS n,
         EXISTS (SELECT 1 FROM message_reactions mr
                  WHERE mr.room_id = m.room_id AND mr.seq = m.seq AND mr.emoji = $3) AS there,
         EXISTS (SELECT 1 FROM message_reactions mr
                  WHERE mr.room_id = m.room_id AND mr.seq = m.seq AND mr.emoji = $3
                    AND mr.user_id = $4) AS mine
    FROM messages m JOIN users u ON u.id = m.user_id JOIN rooms r ON r.id = m.room_id
   WHERE m.room_id = $1 AND m.id = $2`;

/** The room, locked, advanced by one event only while its version is still `$5`. */
const AT_VERSION = `
  l AS (${lockRooms('$1::uuid')}),
  s AS (${advanceRooms(`(SELECT l.id AS room_id, 0 AS messages, 1 AS events FROM l WHERE l.last_event_seq = $5::bigint)`)})`;

/** The room event, its data given as `$6` (jsonb, without eventSeq), published later if `$7`. */
const EVENT = (kind: string) => `
  ev AS (${appendOneEvent(`'${kind}'`, '$6::jsonb', '$7')} RETURNING event_seq, created_at)`;

const RETURNING = `SELECT ev.event_seq::text AS event_seq, chat_iso(ev.created_at) AS created_at FROM ev`;

/** $1 room, $2 message seq, $3 emoji, $4 reactor, $5 version, $6 event data, $7 unpublished. */
export const REACTION_ADD = `
  WITH ${AT_VERSION},
  ins AS (
    INSERT INTO message_reactions (room_id, seq, emoji, user_id)
    SELECT s.room_id, $2, $3, $4 FROM s),
  ${EVENT('reaction.added')}
  ${RETURNING}`;

/** Same parameters as REACTION_ADD. */
export const REACTION_REMOVE = `
  WITH ${AT_VERSION},
  del AS (
    DELETE FROM message_reactions mr USING s
     WHERE mr.room_id = s.room_id AND mr.seq = $2 AND mr.emoji = $3 AND mr.user_id = $4),
  ${EVENT('reaction.removed')}
  ${RETURNING}`;
