// The scheduled messages adapter on a real PostgreSQL: what the sender relies on. Concurrent
// claims never share a row; a lease holds a row until it ends; a row the author is changing is
// skipped, not waited for; markFailed records the message a dead sender stored after all.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { coreMigrations } from '../../migrations/index.js';
import { buildDataSourceOptions } from '../../src/infrastructure/database/data-source-options.js';
import { SqlMessageRepository } from '../../src/modules/messages/infrastructure/persistence/sql-message.repository.js';
import { scheduledClientMsgId } from '../../src/modules/scheduled/domain/scheduled-message.js';
import { SqlScheduledMessageRepository } from '../../src/modules/scheduled/infrastructure/persistence/sql-scheduled-message.repository.js';
import { createScratchDatabase, insertRoom, insertUser } from '../support/db.js';

describe('SqlScheduledMessageRepository on a real PostgreSQL', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let ds: DataSource;
  let repo: SqlScheduledMessageRepository;
  let messages: SqlMessageRepository;

  // A database of its own: claimDue takes every due row, and must not lease another test's.
  beforeAll(async () => {
    scratch = await createScratchDatabase();
    ds = new DataSource(buildDataSourceOptions(scratch.url, coreMigrations, 10));
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    repo = new SqlScheduledMessageRepository(ds);
    messages = new SqlMessageRepository(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await scratch.drop();
  });

  /** Rows of a fresh room, due now (send_at set in the database: the window is the domain's). */
  async function dueRows(n: number) {
    const user = await insertUser(ds);
    const room = await insertRoom(ds, user);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const s = await repo.create({
        roomId: room,
        userId: user,
        content: `due ${i}`,
        threadRootId: null,
        sendAt: new Date(Date.now() + 60_000),
      });
      ids.push(s.id);
    }
    await ds.query(`UPDATE scheduled_messages SET send_at = now() WHERE id = ANY($1::uuid[])`, [
      ids,
    ]);
    return { user, room, ids };
  }
  /** The claimed rows of this test (each test's rows are due when the next test starts). */
  const mine = (ids: string[], rows: { id: string }[]) => rows.filter((r) => ids.includes(r.id));

  it('concurrent claims split the due rows: none twice, none left', async () => {
    const { ids } = await dueRows(30);
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) => repo.claimDue(200, 5000, `i${i}`)),
    );
    const got = claims.flatMap((c) => mine(ids, c).map((r) => r.id));
    expect(got.sort()).toEqual([...ids].sort());
    const after = await ds.query<{ attempts: number; claimed_by: string }[]>(
      `SELECT attempts, claimed_by FROM scheduled_messages WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    expect(after.every((r) => r.attempts === 1 && r.claimed_by !== null)).toBe(true);
  });

  it('a leased row is not claimed again until its lease ends; then with the next attempt', async () => {
    const { ids, user } = await dueRows(1);
    const first = mine(ids, await repo.claimDue(200, 300, 'dead'));
    expect(first).toMatchObject([
      { id: ids[0], attempts: 1, authorStatus: 'active', userId: user },
    ]);
    expect(mine(ids, await repo.claimDue(200, 5000, 'other'))).toEqual([]);
    await ds.query(
      `UPDATE scheduled_messages SET claimed_until = now() - interval '1 ms' WHERE id = $1`,
      [ids[0]],
    );
    expect(mine(ids, await repo.claimDue(200, 5000, 'other'))).toMatchObject([
      { id: ids[0], attempts: 2 },
    ]);
  });

  it("skips a row locked by its author's change instead of waiting for it", async () => {
    const { ids } = await dueRows(1);
    const author = ds.createQueryRunner();
    await author.connect();
    try {
      await author.startTransaction();
      // What ScheduledMessageRepository.change holds while the domain rules decide.
      await author.query(`SELECT id FROM scheduled_messages WHERE id = $1 FOR UPDATE`, [ids[0]]);
      expect(mine(ids, await repo.claimDue(200, 5000, 'i1'))).toEqual([]);
      await author.commitTransaction();
    } finally {
      await author.release();
    }
    expect(mine(ids, await repo.claimDue(200, 5000, 'i1'))).toMatchObject([{ id: ids[0] }]);
  });

  it('markSent records the message; a finished row is not changed again', async () => {
    const { ids } = await dueRows(1);
    await repo.claimDue(200, 5000, 'i1');
    const id = '00000000-0000-4000-8000-000000000abc';
    await repo.markSent(ids[0], id, 7);
    await repo.markSent(ids[0], '00000000-0000-4000-8000-000000000def', 8);
    expect(await repo.markFailed(ids[0], 'x', 'NOT_ROOM_MEMBER', 'gone')).toBeNull();
    const [row] = await ds.query<{ status: string; message_id: string; message_seq: string }[]>(
      `SELECT status, message_id, message_seq FROM scheduled_messages WHERE id = $1`,
      [ids[0]],
    );
    expect(row).toEqual({ status: 'sent', message_id: id, message_seq: '7' });
  });

  it('markFailed fails a row with no message, and records the message a dead sender stored', async () => {
    const { ids, user, room } = await dueRows(2);
    await repo.claimDue(200, 5000, 'i1');
    expect(
      await repo.markFailed(ids[0], scheduledClientMsgId(ids[0]), 'NOT_ROOM_MEMBER', 'left'),
    ).toBe('failed');
    const stored = await messages.appendToRoom({
      roomId: room,
      userId: user,
      content: 'due 1',
      type: 'text',
      clientMsgId: scheduledClientMsgId(ids[1]),
    });
    expect(
      await repo.markFailed(ids[1], scheduledClientMsgId(ids[1]), 'NOT_ROOM_MEMBER', 'left'),
    ).toBe('sent');
    const rows = await ds.query<
      { id: string; status: string; message_id: string | null; failure_code: string | null }[]
    >(
      `SELECT id, status, message_id, failure_code FROM scheduled_messages WHERE id = ANY($1::uuid[]) ORDER BY content`,
      [ids],
    );
    expect(rows).toEqual([
      { id: ids[0], status: 'failed', message_id: null, failure_code: 'NOT_ROOM_MEMBER' },
      { id: ids[1], status: 'sent', message_id: stored!.message.id, failure_code: null },
    ]);
  });

  it('release puts the row back after the delay', async () => {
    const { ids } = await dueRows(1);
    await repo.claimDue(200, 5000, 'i1');
    await repo.release(ids[0], 0);
    expect(mine(ids, await repo.claimDue(200, 5000, 'i2'))).toMatchObject([{ attempts: 2 }]);
  });
});
