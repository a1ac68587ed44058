import type { PreparedQueries } from '../../../../infrastructure/database/prepared.js';
import type { NewMessage } from '../../domain/message.repository.js';

export interface AppendedRow {
  id: string;
  room_id: string;
  seq: string;
  user_id: string;
  username: string;
  content: string;
  type: 'text' | 'system' | 'bot';
  client_msg_id: string | null;
  created_at: Date;
  sent_by: string | null;
  deleted_at: Date | null;
  /** false when a repeated clientMsgId answered the message stored before. */
  created?: boolean;
}

interface Pending {
  msg: NewMessage;
  resolve: (row: AppendedRow | null) => void;
  reject: (err: unknown) => void;
}

/**
 * Many sends in one statement: each room's seq advances once by its number of rows (rooms locked
 * in id order, so concurrent batches cannot deadlock) and rows are numbered in arrival order. One
 * round trip and one commit (WAL flush) for the whole batch. Rows whose (sender, clientMsgId)
 * already exists are left out here; the caller sends those down the single-message path, which
 * answers the stored message.
 */
const batchSql = (withOutbox: boolean) => `
  WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[])
                  WITH ORDINALITY AS t(room_id, user_id, content, type, client_msg_id, sent_by, ord)),
       fresh AS (
         SELECT i.* FROM input i
          WHERE i.client_msg_id IS NULL
             OR NOT EXISTS (SELECT 1 FROM messages m WHERE m.user_id = i.user_id AND m.client_msg_id = i.client_msg_id)),
       locked AS (
         SELECT r.id FROM rooms r WHERE r.id IN (SELECT room_id FROM fresh) ORDER BY r.id FOR NO KEY UPDATE),
       counts AS (
         SELECT f.room_id, count(*) AS n FROM fresh f JOIN locked l ON l.id = f.room_id GROUP BY f.room_id),
       s AS (
         UPDATE rooms r SET last_seq = r.last_seq + c.n FROM counts c WHERE r.id = c.room_id
         RETURNING r.id, r.last_seq AS new_last, c.n),
       numbered AS (
         SELECT f.*, s.new_last - s.n + row_number() OVER (PARTITION BY f.room_id ORDER BY f.ord) AS seq
           FROM fresh f JOIN s ON s.id = f.room_id),
       ins AS (
         INSERT INTO messages (room_id, seq, user_id, content, type, client_msg_id, sent_by)
         SELECT room_id, seq, user_id, content, type, client_msg_id, sent_by FROM numbered
         RETURNING id, room_id, seq, user_id, content, type, client_msg_id, created_at, sent_by, deleted_at)${
           withOutbox
             ? `,
       o AS (INSERT INTO event_outbox (event_key, room_id, seq) SELECT room_id::text, room_id, seq FROM ins)`
             : ''
         }
  SELECT ins.*, n.ord, u.username
    FROM ins JOIN numbered n ON n.room_id = ins.room_id AND n.seq = ins.seq
    JOIN users u ON u.id = ins.user_id`;

/**
 * Group commit for message appends: sends that arrive in the same turn of the event loop go to
 * PostgreSQL as one statement (up to `maxBatch`), with at most `maxInFlight` statements at once;
 * while those run, new sends queue up and form the next batch. Throughput is then no longer one
 * WAL flush per message.
 */
export class AppendBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly sql: string;
  private readonly name: string;

  constructor(
    private readonly db: PreparedQueries,
    withOutbox: boolean,
    /** The single-message path, for rows a batch left out or a batch that failed. */
    private readonly single: (msg: NewMessage) => Promise<AppendedRow | null>,
    private readonly maxBatch = 100,
    private readonly maxInFlight = 4,
  ) {
    this.sql = batchSql(withOutbox);
    this.name = withOutbox ? 'append_batch_outbox' : 'append_batch';
  }

  append(msg: NewMessage): Promise<AppendedRow | null> {
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
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0 && !this.scheduled) {
          this.scheduled = true;
          setImmediate(() => this.flush());
        }
      });
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      // Nothing to group: the function is the cheaper statement.
      await this.settle(batch[0]);
      return;
    }
    let rows: (AppendedRow & { ord: string })[];
    try {
      rows = await this.db.query<AppendedRow & { ord: string }>(this.name, this.sql, [
        batch.map((p) => p.msg.roomId),
        batch.map((p) => p.msg.userId),
        batch.map((p) => p.msg.content),
        batch.map((p) => p.msg.type),
        batch.map((p) => p.msg.clientMsgId),
        batch.map((p) => p.msg.sentBy ?? null),
      ]);
    } catch {
      // Typically two sends with one clientMsgId racing; the whole statement rolled back (no
      // seq was used), so each goes down the single path, which sorts out who was first.
      await Promise.all(batch.map((p) => this.settle(p)));
      return;
    }
    const byOrd = new Map(rows.map((r) => [Number(r.ord), r]));
    await Promise.all(
      batch.map(async (p, i) => {
        const row = byOrd.get(i + 1);
        if (row) p.resolve(row);
        else await this.settle(p); // a known clientMsgId, or a room that is gone
      }),
    );
  }

  private async settle(p: Pending): Promise<void> {
    try {
      p.resolve(await this.single(p.msg));
    } catch (err) {
      p.reject(err);
    }
  }
}
