import type { PreparedQueries } from '../../../../infrastructure/database/prepared.js';
import {
  advanceRooms,
  insertEvents,
  lockRooms,
} from '../../../room-events/infrastructure/persistence/room-position.js';
import type { NewMessage } from '../../domain/message.repository.js';

/** One stored message as the append statement answers it: its message.new event. */
export interface AppendedRow {
  /** The event's data: the Message plus its eventSeq, exactly what subscribers get. */
  data: Record<string, unknown> & { eventSeq: number };
  event_seq: string;
  event_created_at: string;
  ord: string;
}

/** What a send came to: stored now, or the message a repeated clientMsgId names; null: no room. */
export type AppendOutcome = { stored: AppendedRow } | { existing: Record<string, unknown> } | null;

interface Pending {
  msg: NewMessage;
  resolve: (outcome: AppendOutcome) => void;
  reject: (err: unknown) => void;
}

/**
 * The message append: one statement for one message or many. Each message takes its room's
 * next seq, and its message.new room event the room's next eventSeq, by the rule of
 * room-position.ts (rooms locked in id order, each advanced once by its number of rows, rows
 * numbered in arrival order). In the same statement: the mentioned members (message_mentions,
 * for unread mention counts), the thread roots' summaries, the uploads the send claimed (bound to
 * the message here, so a message never lists files that are not its own), and the room events,
 * whose data is built once here by chat_message_view (the relay publishes it as stored); each
 * message keeps its event's eventSeq. Left out, for the caller to answer: rows whose (sender,
 * clientMsgId) already exists (answered with the stored message), and rows whose claim no longer
 * holds every upload the message lists (a claim gone stale and taken by another send).
 */
export const APPEND_SQL = `
  WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::uuid[], $8::text[], $10::text[], $11::uuid[])
                  WITH ORDINALITY AS t(room_id, user_id, content, type, client_msg_id, sent_by, thread_root_id, mention_names, attachments, claim_token, ord)),
       fresh AS (
         SELECT i.* FROM input i
          WHERE (i.client_msg_id IS NULL
                 OR NOT EXISTS (SELECT 1 FROM messages m WHERE m.user_id = i.user_id AND m.client_msg_id = i.client_msg_id))
            AND (i.claim_token IS NULL
                 OR (SELECT count(*) FROM (SELECT 1 FROM attachments a
                                            WHERE a.claim_token = i.claim_token AND a.room_id = i.room_id
                                              AND a.message_seq IS NULL FOR UPDATE) held)
                    = jsonb_array_length(i.attachments::jsonb))),
       locked AS (${lockRooms('SELECT room_id FROM fresh')}),
       counts AS (
         SELECT f.room_id, count(*) AS messages, count(*) AS events
           FROM fresh f JOIN locked l ON l.id = f.room_id GROUP BY f.room_id),
       s AS (${advanceRooms('counts')}),
       numbered AS (
         SELECT f.*, s.first_seq + row_number() OVER w - 1 AS seq,
                s.first_event_seq + row_number() OVER w - 1 AS event_seq
           FROM fresh f JOIN s ON s.room_id = f.room_id
         WINDOW w AS (PARTITION BY f.room_id ORDER BY f.ord)),
       mentioned AS (
         SELECT DISTINCT n.room_id, n.seq, u.id AS user_id
           FROM numbered n
           CROSS JOIN LATERAL unnest(string_to_array(n.mention_names, ' ')) AS nm(name)
           JOIN users u ON lower(u.username) = nm.name
          WHERE n.mention_names IS NOT NULL
            -- A scalar subquery, probed by primary key per named user: an EXISTS would be
            -- planned as a semi-join that may read all of the room's members.
            AND (SELECT true FROM room_members rm WHERE rm.room_id = n.room_id AND rm.user_id = u.id)),
       ins AS (
         INSERT INTO messages (room_id, seq, event_seq, user_id, content, type, client_msg_id, sent_by, thread_root_id, attachments, mentions)
         SELECT n.room_id, n.seq, n.event_seq, n.user_id, n.content, n.type, n.client_msg_id, n.sent_by, n.thread_root_id,
                n.attachments::jsonb,
                (SELECT array_agg(mt.user_id ORDER BY mt.user_id) FROM mentioned mt
                  WHERE mt.room_id = n.room_id AND mt.seq = n.seq)
           FROM numbered n
         RETURNING *),
       bound AS (
         UPDATE attachments a
            SET message_id = n.id, message_seq = n.seq, claim_token = NULL, claimed_at = NULL
           FROM (SELECT ins.id, ins.room_id, ins.seq, nb.claim_token
                   FROM ins JOIN numbered nb ON nb.room_id = ins.room_id AND nb.seq = ins.seq
                  WHERE nb.claim_token IS NOT NULL) n
          WHERE a.claim_token = n.claim_token AND a.room_id = n.room_id),
       mm AS (
         INSERT INTO message_mentions (room_id, seq, user_id) SELECT room_id, seq, user_id FROM mentioned),
       roots AS (
         UPDATE messages r
            SET reply_count = r.reply_count + t.n, last_reply_at = t.at, last_reply_seq = t.last
           FROM (SELECT room_id, thread_root_id, count(*)::int AS n, max(seq) AS last, max(created_at) AS at
                   FROM ins WHERE thread_root_id IS NOT NULL GROUP BY room_id, thread_root_id) t
          WHERE r.room_id = t.room_id AND r.id = t.thread_root_id),
       ev AS (${insertEvents({
         from: `ins JOIN numbered n ON n.room_id = ins.room_id AND n.seq = ins.seq
           JOIN users u ON u.id = ins.user_id`,
         roomId: 'n.room_id',
         eventSeq: 'n.event_seq',
         kind: `'message.new'`,
         data: 'chat_message_view(ins::messages, u.username)',
         unpublished: '$9',
       })}
         RETURNING room_id, event_seq, data, created_at)
  SELECT ev.data, ev.event_seq, chat_iso(ev.created_at) AS event_created_at, n.ord
    FROM ev JOIN numbered n ON n.room_id = ev.room_id AND n.event_seq = ev.event_seq`;

/**
 * Group commit for message appends: sends that arrive in the same turn of the event loop go to
 * PostgreSQL as one statement (up to `maxBatch`), with at most `maxInFlight` statements at once;
 * while those run, new sends queue up and form the next batch. Throughput is then no longer one
 * WAL flush per message. A lone send is the same statement with one row.
 *
 * One statement in flight per instance (it was four): a statement costs the database about 1 ms
 * of CPU whatever it carries, so at 1,000 sends/s four small ones in turn cost more than one
 * that waits for the one before it (bench/results/compare-append-inflight/one-in-flight: database CPU per
 * message 653 -> 510 µs at 1,000 msg/s, 262 -> 192 µs at full throughput, latency unchanged).
 * The price: a statement held up by a room's lock (a room being deleted) holds up the instance's
 * other sends with it, for as long as that lock.
 *
 * Order: a room is in at most one statement at a time, and a failed batch is retried one send
 * after another, so sends to a room take their seqs in the order they reached the service (two
 * statements for one room running at once would take the room lock in either order, and a
 * client that pipelines its sends would see them stored out of order).
 */
export class AppendBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** Rooms with a statement in flight: their queued sends wait for it. */
  private readonly busyRooms = new Set<string>();

  constructor(
    private readonly db: PreparedQueries,
    /** Room events wait for the relay (Kafka bus): the log is the outbox. */
    private readonly unpublished: boolean,
    /** A send the statement left out: a known clientMsgId (or a room that is gone). */
    private readonly leftOut: (
      msg: NewMessage,
    ) => Promise<{ existing: Record<string, unknown> } | null>,
    private readonly maxBatch = 100,
    private readonly maxInFlight = 1,
  ) {}

  append(msg: NewMessage): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ msg, resolve, reject });
      if (!this.scheduled && this.inFlight < this.maxInFlight) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.takeBatch();
      if (batch.length === 0) return; // every queued room is in flight; its end flushes again
      const rooms = new Set(batch.map((p) => p.msg.roomId));
      for (const room of rooms) this.busyRooms.add(room);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        for (const room of rooms) this.busyRooms.delete(room);
        if (this.queue.length > 0 && !this.scheduled) {
          this.scheduled = true;
          setImmediate(() => this.flush());
        }
      });
    }
  }

  /**
   * The next batch: queued sends in arrival order, skipping rooms in flight. A room whose sends
   * do not all fit keeps the rest queued, behind this batch (its room is then in flight).
   */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    for (const p of this.queue) {
      if (batch.length < this.maxBatch && !this.busyRooms.has(p.msg.roomId)) batch.push(p);
      else rest.push(p);
    }
    this.queue = rest;
    return batch;
  }

  private statement(batch: NewMessage[]): Promise<AppendedRow[]> {
    return this.db.query<AppendedRow>('append_messages', APPEND_SQL, [
      batch.map((m) => m.roomId),
      batch.map((m) => m.userId),
      batch.map((m) => m.content),
      batch.map((m) => m.type),
      batch.map((m) => m.clientMsgId),
      batch.map((m) => m.sentBy ?? null),
      batch.map((m) => m.threadRootId ?? null),
      batch.map((m) =>
        m.mentionNames && m.mentionNames.length > 0 ? m.mentionNames.join(' ') : null,
      ),
      this.unpublished,
      batch.map((m) =>
        m.attachments && m.attachments.length > 0 ? JSON.stringify(m.attachments) : null,
      ),
      batch.map((m) => m.attachmentClaim ?? null),
    ]);
  }

  private async run(batch: Pending[]): Promise<void> {
    let rows: AppendedRow[];
    try {
      rows = await this.statement(batch.map((p) => p.msg));
    } catch (err) {
      // Typically two sends with one clientMsgId racing; the whole statement rolled back (no
      // seq was used), so each goes again on its own, which sorts out who was first. One after
      // another, in arrival order, so the retried sends keep their order.
      for (const p of batch) await this.alone(p, err, batch.length === 1);
      return;
    }
    const byOrd = new Map(rows.map((r) => [Number(r.ord), r]));
    await Promise.all(
      batch.map(async (p, i) => {
        const row = byOrd.get(i + 1);
        if (row) p.resolve({ stored: row });
        else await this.settle(p, () => this.leftOut(p.msg));
      }),
    );
  }

  /**
   * One send on its own after its statement failed: a unique violation means a send with the
   * same clientMsgId committed meanwhile (answer that one); anything else fails the send.
   */
  private async alone(p: Pending, first: unknown, ranAlone: boolean): Promise<void> {
    await this.settle(p, async () => {
      let lastErr = first;
      let tried = ranAlone;
      for (let attempt = 0; attempt < 3; attempt++) {
        if (isUniqueViolation(lastErr)) {
          const existing = await this.leftOut(p.msg);
          if (existing) return existing;
        } else if (tried) throw lastErr;
        tried = true;
        try {
          const [row] = await this.statement([p.msg]);
          return row ? { stored: row } : await this.leftOut(p.msg);
        } catch (err) {
          lastErr = err;
        }
      }
      throw lastErr;
    });
  }

  private async settle(p: Pending, fn: () => Promise<AppendOutcome>): Promise<void> {
    try {
      p.resolve(await fn());
    } catch (err) {
      p.reject(err);
    }
  }
}

function isUniqueViolation(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    ((err as { code?: string }).code === '23505' ||
      (err as { driverError?: { code?: string } }).driverError?.code === '23505')
  );
}
