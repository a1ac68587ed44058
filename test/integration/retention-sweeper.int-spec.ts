// The retention sweeper on a real PostgreSQL: two instances sweeping at once delete each row
// once (one sweeps, the other skips the round; neither errs nor deadlocks), a sweep never waits
// for the room lock the send path holds, and sends go on numbering while it runs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { coreMigrations } from '../../migrations/index.js';
import { buildDataSourceOptions } from '../../src/infrastructure/database/data-source-options.js';
import { SqlMessageRepository } from '../../src/modules/messages/infrastructure/persistence/sql-message.repository.js';
import { SqlRetentionRepository } from '../../src/modules/retention/infrastructure/persistence/sql-retention.repository.js';
import { RetentionSweeper } from '../../src/modules/retention/retention-sweeper.js';
import { createScratchDatabase, insertRoom, insertUser } from '../support/db.js';

const config = { defaultDays: null, sweepMs: 60_000, batch: 500 };

describe('retention sweeper on a real PostgreSQL', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  // Two "instances": each its own pool, as two processes would have.
  let dsA: DataSource;
  let dsB: DataSource;
  let sweeperA: RetentionSweeper;
  let sweeperB: RetentionSweeper;

  // A database of its own: a sweep looks at every room.
  beforeAll(async () => {
    scratch = await createScratchDatabase();
    dsA = new DataSource(buildDataSourceOptions(scratch.url, coreMigrations, 5));
    await dsA.initialize();
    await dsA.runMigrations({ transaction: 'each' });
    dsB = new DataSource(buildDataSourceOptions(scratch.url, coreMigrations, 5));
    await dsB.initialize();
    sweeperA = new RetentionSweeper(new SqlRetentionRepository(dsA), config);
    sweeperB = new RetentionSweeper(new SqlRetentionRepository(dsB), config);
  });
  afterAll(async () => {
    await dsA.destroy();
    await dsB.destroy();
    await scratch.drop();
  });

  /** A room with `n` messages (and their message.new events), the first `old` 2 days old. */
  async function seededRoom(n: number, old: number): Promise<{ room: string; user: string }> {
    const user = await insertUser(dsA);
    const room = await insertRoom(dsA, user);
    await dsA.query(
      `INSERT INTO room_events (room_id, event_seq, kind, data, created_at)
       SELECT $1::uuid, g, 'message.new', jsonb_build_object('roomId', $1::text, 'seq', g, 'eventSeq', g),
              CASE WHEN g <= $3 THEN now() - interval '2 days' ELSE now() END
         FROM generate_series(1, $2::int) g`,
      [room, n, old],
    );
    await dsA.query(
      `INSERT INTO messages (room_id, seq, event_seq, user_id, content, created_at)
       SELECT $1, g, g, $4, 'm' || g,
              CASE WHEN g <= $3 THEN now() - interval '2 days' ELSE now() END
         FROM generate_series(1, $2::int) g`,
      [room, n, old, user],
    );
    await dsA.query(
      `UPDATE rooms SET last_seq = $2, last_event_seq = $2, retention_days = 1 WHERE id = $1`,
      [room, n],
    );
    return { room, user };
  }

  const left = async (room: string) => {
    const [m] = await dsA.query<{ n: number; lo: string }[]>(
      `SELECT count(*)::int AS n, min(seq) AS lo FROM messages WHERE room_id = $1`,
      [room],
    );
    const [e] = await dsA.query<{ n: number; lo: string }[]>(
      `SELECT count(*)::int AS n, min(event_seq) AS lo FROM room_events WHERE room_id = $1`,
      [room],
    );
    return { messages: m.n, fromSeq: Number(m.lo), events: e.n, fromEventSeq: Number(e.lo) };
  };

  it('two instances sweeping at once delete each expired row once, without errors or deadlocks', async () => {
    const { room } = await seededRoom(2500, 2000);
    const reports = await Promise.all([sweeperA.sweep(), sweeperB.sweep()]);
    const ran = reports.filter((r) => r !== null);
    expect(ran.length).toBeGreaterThanOrEqual(1);
    // One swept; the other skipped the round, or (if it came after) found nothing left.
    expect(ran.reduce((a, r) => a + r.messages, 0)).toBe(2000);
    expect(ran.reduce((a, r) => a + r.events, 0)).toBe(2000);
    expect(await left(room)).toEqual({
      messages: 500,
      fromSeq: 2001,
      events: 500,
      fromEventSeq: 2001,
    });
    const [r] = await dsA.query<{ last_seq: string; last_event_seq: string }[]>(
      `SELECT last_seq, last_event_seq FROM rooms WHERE id = $1`,
      [room],
    );
    expect(r).toEqual({ last_seq: '2500', last_event_seq: '2500' });
    // Again: nothing left to do.
    expect(await sweeperA.sweep()).toEqual({ rooms: 0, messages: 0, events: 0 });
  });

  it("never waits for the room's lock (held by a send) and sends go on numbering meanwhile", async () => {
    const { room, user } = await seededRoom(1200, 1000);
    const runner = dsA.createQueryRunner();
    await runner.connect();
    try {
      // What the send path takes for its seqs (room-position.ts lockRooms), held throughout.
      await runner.startTransaction();
      await runner.query(`SELECT id FROM rooms WHERE id = $1 FOR NO KEY UPDATE`, [room]);
      await runner.query(`SET LOCAL lock_timeout = '10s'`);
      const report = await sweeperB.sweep();
      expect(report).toMatchObject({ rooms: 1, messages: 1000, events: 1000 });
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
    // And a send racing a sweep is numbered on from the room's lastSeq.
    await dsA.query(
      `UPDATE room_events SET created_at = now() - interval '2 days' WHERE room_id = $1`,
      [room],
    );
    await dsA.query(
      `UPDATE messages SET created_at = now() - interval '2 days' WHERE room_id = $1`,
      [room],
    );
    const sends = new SqlMessageRepository(dsA);
    const [, sent] = await Promise.all([
      sweeperA.sweep(),
      sends.appendToRoom({
        roomId: room,
        userId: user,
        content: 'new',
        type: 'text',
        clientMsgId: 'n1',
      }),
    ]);
    expect(sent?.message.seq).toBe(1201);
    const after = await left(room);
    expect(after.fromSeq).toBeGreaterThanOrEqual(1001);
    expect(after.messages).toBe(1201 - after.fromSeq + 1);
  });
});
