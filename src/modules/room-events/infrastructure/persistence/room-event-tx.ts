import type { EntityManager } from 'typeorm';
import type { RoomEvent, RoomEventDraft } from '../../../../common/events/chat-events.js';
import { advanceRooms, appendOneEvent, lockRooms } from './room-position.js';

/**
 * Writing room events from inside another context's transaction (a membership change, an edit,
 * a reaction). The room row's lock is taken first, before the change itself, so every writer of
 * a room (the message append included) queues on the same lock in the same order and an event's
 * eventSeq is its commit order. Locking and numbering follow room-position.ts, the one rule the
 * message append follows too: nothing to roll back when the change turns out to change nothing
 * (no event).
 */
export class RoomEventTx {
  private next = 0;

  constructor(
    private readonly m: EntityManager,
    readonly roomId: string,
    /** Whether the relay still has to publish what is appended (the Kafka bus). */
    private readonly unpublished: boolean,
  ) {}

  /** Takes the room's lock and reads its log position; false when there is no such room. */
  async lock(): Promise<boolean> {
    const rows = await this.m.query<{ last_event_seq: string }[]>(
      `WITH l AS (${lockRooms('$1::uuid')}) SELECT last_event_seq FROM l`,
      [this.roomId],
    );
    if (!rows[0]) return false;
    this.next = Number(rows[0].last_event_seq) + 1;
    return true;
  }

  /** The eventSeq the next `append` gets (for data that names it, such as room.updated). */
  get nextEventSeq(): number {
    if (this.next === 0) throw new Error('RoomEventTx: lock() first');
    return this.next;
  }

  async append(draft: RoomEventDraft): Promise<RoomEvent> {
    if (this.next === 0) throw new Error('RoomEventTx: lock() first');
    const rows = await this.m.query<{ event_seq: string; created_at: string }[]>(
      `WITH s AS (${advanceRooms('(SELECT $1::uuid AS room_id, 0 AS messages, 1 AS events)')})
       ${appendOneEvent('$2', '$3::jsonb', '$4')}
       RETURNING event_seq, chat_iso(created_at) AS created_at`,
      [this.roomId, draft.event, JSON.stringify(draft.data), this.unpublished],
    );
    if (!rows[0]) throw new Error('RoomEventTx: the room is gone');
    const eventSeq = Number(rows[0].event_seq);
    this.next = eventSeq + 1;
    const data = { ...draft.data, eventSeq };
    return { eventSeq, event: draft.event, data, createdAt: rows[0].created_at } as RoomEvent;
  }
}

/**
 * Runs `change` in a transaction that holds the room's lock. `change` appends the events its
 * change produces (none when nothing changed). Null when the room does not exist.
 */
export async function inRoomEventTx<T>(
  run: <R>(fn: (m: EntityManager) => Promise<R>) => Promise<R>,
  roomId: string,
  unpublished: boolean,
  change: (tx: RoomEventTx, m: EntityManager) => Promise<T>,
): Promise<T | null> {
  return run(async (m) => {
    const tx = new RoomEventTx(m, roomId, unpublished);
    if (!(await tx.lock())) return null;
    return change(tx, m);
  });
}
