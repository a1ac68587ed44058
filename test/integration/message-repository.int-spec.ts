import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { SqlMessageRepository } from '../../src/modules/messages/infrastructure/persistence/sql-message.repository.js';
import { insertRoom, insertUser, openDataSource } from '../support/db.js';

describe('SqlMessageRepository on a real PostgreSQL', () => {
  let ds: DataSource;
  let repo: SqlMessageRepository;

  beforeAll(async () => {
    ds = await openDataSource(30);
    repo = new SqlMessageRepository(ds);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  it('assigns gapless, unique seqs under 300 concurrent appends from 10 senders', async () => {
    const owner = await insertUser(ds);
    const room = await insertRoom(ds, owner);
    const senders = await Promise.all(Array.from({ length: 10 }, () => insertUser(ds)));
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        repo.appendToRoom({
          roomId: room,
          userId: senders[i % 10],
          content: `m${i}`,
          type: 'text',
          clientMsgId: `c${i}`,
        }),
      ),
    );
    const seqs = results.map((r) => r!.message.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    const [{ last_seq }] = await ds.query<{ last_seq: string }[]>(
      `SELECT last_seq FROM rooms WHERE id = $1`,
      [room],
    );
    expect(Number(last_seq)).toBe(300);
    const stored = await repo.findAfterSeq(room, 0, 1000);
    expect(stored.map((m) => m.seq)).toEqual(seqs);
    // Each message's message.new event, written by the same statement: eventSeq gapless too,
    // its data the stored message.
    const events = await ds.query<{ event_seq: string; kind: string; seq: number }[]>(
      `SELECT event_seq, kind, (data->>'seq')::int AS seq FROM room_events WHERE room_id = $1 ORDER BY event_seq`,
      [room],
    );
    expect(events.map((e) => Number(e.event_seq))).toEqual(seqs);
    expect(events.map((e) => e.seq)).toEqual(seqs);
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(['message.new']));
  });

  it('one eventSeq rule for both writers: appends racing reactions leave the log gapless', async () => {
    const owner = await insertUser(ds);
    const room = await insertRoom(ds, owner);
    const send = (i: number) =>
      repo.appendToRoom({
        roomId: room,
        userId: owner,
        content: `m${i}`,
        type: 'text',
        clientMsgId: `mix${i}`,
      });
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i)));
    // Batched appends (message.new) and RoomEventTx changes (reaction.added) on one room at once.
    await Promise.all([
      ...Array.from({ length: 150 }, (_, i) => send(20 + i)),
      ...Array.from({ length: 100 }, (_, i) =>
        repo.react(room, first[i % 20]!.message.id, owner, `:e${i}:`, true, () => undefined),
      ),
    ]);
    const events = await ds.query<{ event_seq: string; kind: string; data_seq: number }[]>(
      `SELECT event_seq, kind, (data->>'eventSeq')::int AS data_seq FROM room_events
        WHERE room_id = $1 ORDER BY event_seq`,
      [room],
    );
    expect(events.map((e) => Number(e.event_seq))).toEqual(
      Array.from({ length: 270 }, (_, i) => i + 1),
    );
    expect(events.every((e) => e.data_seq === Number(e.event_seq))).toBe(true);
    expect(events.filter((e) => e.kind === 'reaction.added')).toHaveLength(100);
    const [r] = await ds.query<{ last_seq: string; last_event_seq: string }[]>(
      `SELECT last_seq, last_event_seq FROM rooms WHERE id = $1`,
      [room],
    );
    expect([Number(r.last_seq), Number(r.last_event_seq)]).toEqual([170, 270]);
  });

  it('stores one message for concurrent sends of one clientMsgId, leaving no seq gap', async () => {
    const owner = await insertUser(ds);
    const room = await insertRoom(ds, owner);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        repo.appendToRoom({
          roomId: room,
          userId: owner,
          content: 'once',
          type: 'text',
          clientMsgId: 'dup-1',
        }),
      ),
    );
    expect(results.filter((r) => r!.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r!.message.id)).size).toBe(1);
    const next = await repo.appendToRoom({
      roomId: room,
      userId: owner,
      content: 'next',
      type: 'text',
      clientMsgId: 'dup-2',
    });
    expect(next!.message.seq).toBe(2);
  });

  it('groups one tick of sends across rooms into a batch, with repeats and a missing room mixed in', async () => {
    const owner = await insertUser(ds);
    const [roomA, roomB] = [await insertRoom(ds, owner), await insertRoom(ds, owner)];
    const first = await repo.appendToRoom({
      roomId: roomA,
      userId: owner,
      content: 'first',
      type: 'text',
      clientMsgId: 'mix-0',
    });
    const missing = '00000000-0000-4000-8000-00000000beef';
    const sends = [
      { roomId: roomA, clientMsgId: 'mix-1' },
      { roomId: roomB, clientMsgId: 'mix-2' },
      { roomId: missing, clientMsgId: 'mix-3' },
      { roomId: roomA, clientMsgId: 'mix-0' }, // already stored: answers the first message
      { roomId: roomB, clientMsgId: null },
      { roomId: roomA, clientMsgId: 'mix-4' },
    ];
    const results = await Promise.all(
      sends.map((s, i) =>
        repo.appendToRoom({
          roomId: s.roomId,
          userId: owner,
          content: `c${i}`,
          type: 'text',
          clientMsgId: s.clientMsgId,
        }),
      ),
    );
    expect(results[2]).toBeNull();
    expect(results[3]).toEqual({ message: first!.message, event: null, created: false });
    // Each room's seqs follow arrival order, with no gaps.
    expect([results[0], results[5]].map((r) => [r!.message.seq, r!.created])).toEqual([
      [2, true],
      [3, true],
    ]);
    expect([results[1], results[4]].map((r) => r!.message.seq)).toEqual([1, 2]);
    expect((await repo.findAfterSeq(roomA, 0, 10)).map((m) => m.content)).toEqual([
      'first',
      'c0',
      'c5',
    ]);
  });

  it('answers null for a room that does not exist and stores nothing', async () => {
    const user = await insertUser(ds);
    const missing = '00000000-0000-4000-8000-00000000dead';
    expect(
      await repo.appendToRoom({
        roomId: missing,
        userId: user,
        content: 'x',
        type: 'text',
        clientMsgId: null,
      }),
    ).toBeNull();
  });

  it('pages after, before and latest exactly', async () => {
    const owner = await insertUser(ds);
    const room = await insertRoom(ds, owner);
    for (let i = 0; i < 10; i++)
      await repo.appendToRoom({
        roomId: room,
        userId: owner,
        content: `m${i + 1}`,
        type: 'text',
        clientMsgId: null,
      });
    expect((await repo.findAfterSeq(room, 3, 4)).map((m) => m.seq)).toEqual([4, 5, 6, 7]);
    expect((await repo.findBeforeSeq(room, 5, 3)).map((m) => m.seq)).toEqual([2, 3, 4]);
    expect((await repo.findLatest(room, 3)).map((m) => m.seq)).toEqual([8, 9, 10]);
    expect((await repo.findBeforeSeq(room, 2, 50)).map((m) => m.seq)).toEqual([1]);
  });
});
