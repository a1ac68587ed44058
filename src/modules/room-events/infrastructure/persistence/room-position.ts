// THE rule for numbering a room, in one place: a room's next message `seq` and next `eventSeq`
// are its row's last_seq + 1 and last_event_seq + 1, taken under the room row's lock (FOR NO KEY
// UPDATE; several rooms are locked in id order, so writers cannot deadlock). No sequence
// objects: a rolled-back change leaves no gap, and eventSeq is commit order. Every writer builds
// its SQL from these fragments: the batched message append (many rooms, many rows, one
// statement), RoomEventTx (one room, events appended inside another change's transaction) and
// the reaction statements.

/**
 * CTE body: locks the rooms whose ids `ids` names (a subquery, or a `$n` parameter), in id order.
 * Columns: id, last_seq, last_event_seq.
 */
export function lockRooms(ids: string): string {
  return `SELECT r.id, r.last_seq, r.last_event_seq FROM rooms r
           WHERE r.id IN (${ids}) ORDER BY r.id FOR NO KEY UPDATE`;
}

/**
 * CTE body: takes, for each row of `counts` (a relation of room_id, messages, events, for rooms
 * already locked by lockRooms), the room's next `messages` seqs and next `events` eventSeqs.
 * Columns: room_id, first_seq, first_event_seq; a room's rows are numbered first_seq,
 * first_seq + 1, ... (and likewise for events), in the order the writer gives them. A room that
 * gets messages has new activity (`last_activity_at`, the room list's order).
 */
export function advanceRooms(counts: string): string {
  return `UPDATE rooms r
             SET last_seq = r.last_seq + c.messages, last_event_seq = r.last_event_seq + c.events,
                 last_activity_at = CASE WHEN c.messages > 0 THEN clock_timestamp()
                                         ELSE r.last_activity_at END
            FROM ${counts} c WHERE r.id = c.room_id
          RETURNING r.id AS room_id, r.last_seq - c.messages + 1 AS first_seq,
                    r.last_event_seq - c.events + 1 AS first_event_seq`;
}

/**
 * Statement: inserts one room event per row of `from` (a relation, joins allowed): `roomId` and
 * `eventSeq` are the row's position (taken by advanceRooms), `kind` and `data` SQL expressions
 * (text; jsonb without its eventSeq, which this adds), `unpublished` a boolean one. The one shape
 * of a room event row, for every writer.
 */
export function insertEvents(e: {
  from: string;
  roomId: string;
  eventSeq: string;
  kind: string;
  data: string;
  unpublished: string;
}): string {
  return `INSERT INTO room_events (room_id, event_seq, kind, data, unpublished)
          SELECT ${e.roomId}, ${e.eventSeq}, ${e.kind},
                 ${e.data} || jsonb_build_object('eventSeq', ${e.eventSeq}), ${e.unpublished}
            FROM ${e.from}`;
}

/**
 * Statement: appends one room event for each row of the CTE `s` (advanceRooms' output, rooms
 * advanced by one event each). For writers of single events; the message append numbers many
 * events per room itself.
 */
export function appendOneEvent(kind: string, data: string, unpublished: string): string {
  return insertEvents({
    from: 's',
    roomId: 's.room_id',
    eventSeq: 's.first_event_seq',
    kind,
    data,
    unpublished,
  });
}
