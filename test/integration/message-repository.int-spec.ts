import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { HistoryQuery, Message } from '../../src/modules/messages/domain/message.js';
import {
  assertCanReact,
  checkReactionLimit,
} from '../../src/modules/messages/domain/message-rules.js';
import { APPEND_SQL } from '../../src/modules/messages/infrastructure/persistence/append-batcher.js';
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
    const [{ t0 }] = await ds.query<{ t0: Date }[]>(`SELECT clock_timestamp() AS t0`);
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
    // Each message keeps the eventSeq of its own message.new event (a v1 afterSeq replay sends
    // it); after the reactions the two numberings differ.
    await send(170);
    const [pairs] = await ds.query<{ n: number; same: number; last: string }[]>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE e.event_seq = m.event_seq)::int AS same,
              max(m.event_seq) AS last
         FROM messages m JOIN room_events e ON e.room_id = m.room_id AND e.kind = 'message.new'
                                            AND (e.data->>'seq')::bigint = m.seq
        WHERE m.room_id = $1`,
      [room],
    );
    expect(pairs).toEqual({ n: 171, same: 171, last: '271' });
    // The same statements moved the sender's marker to their newest message and the room's
    // activity time past the start of this second round of sends.
    const [state] = await ds.query<{ last_read_seq: string; active_since: boolean }[]>(
      `SELECT rm.last_read_seq, r.last_activity_at > $3 AS active_since
         FROM room_members rm JOIN rooms r ON r.id = rm.room_id
        WHERE rm.room_id = $1 AND rm.user_id = $2`,
      [room, owner, t0],
    );
    expect(state).toEqual({ last_read_seq: '171', active_since: true });
  });

  it("a send that moves the room list's copy of the activity time still moves its sender's marker", async () => {
    const owner = await insertUser(ds);
    const room = await insertRoom(ds, owner);
    const member = await insertUser(ds);
    await ds.query(`INSERT INTO room_members (room_id, user_id, role) VALUES ($1, $2, 'member')`, [
      room,
      member,
    ]);
    // The members' copy is an hour old: the next send is outside the lag and rewrites every
    // membership of the room (rooms_listed) in the statement whose trigger moves the marker.
    await ds.query(
      `UPDATE rooms SET listed_activity_at = listed_activity_at - interval '1 hour' WHERE id = $1`,
      [room],
    );
    const sent = await Promise.all(
      [owner, member].map((userId, i) =>
        repo.appendToRoom({
          roomId: room,
          userId,
          content: `l${i}`,
          type: 'text',
          clientMsgId: `l${i}`,
        }),
      ),
    );
    expect(sent.map((s) => s!.message.seq).sort()).toEqual([1, 2]);
    const rows = await ds.query<{ user_id: string; last_read_seq: string; listed: boolean }[]>(
      `SELECT rm.user_id, rm.last_read_seq, rm.room_listed_at = r.listed_activity_at AS listed
         FROM room_members rm JOIN rooms r ON r.id = rm.room_id
        WHERE rm.room_id = $1 AND r.listed_activity_at > now() - interval '1 minute'`,
      [room],
    );
    expect(rows.map((r) => [r.user_id, r.last_read_seq, r.listed]).sort()).toEqual(
      sent.map((s) => [s!.message.userId, String(s!.message.seq), true]).sort(),
    );
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

  it("a send's mentions cost what it mentions, not what its room holds: no member scan", async () => {
    const owner = await insertUser(ds);
    const room = await insertRoom(ds, owner);
    const named = await insertUser(ds);
    const [{ username }] = await ds.query<{ username: string }[]>(
      `SELECT lower(username) AS username FROM users WHERE id = $1`,
      [named],
    );
    await ds.query(
      `INSERT INTO room_members (room_id, user_id, role)
       SELECT $1, u, 'member' FROM unnest($2::uuid[]) u`,
      [room, [named, ...(await Promise.all(Array.from({ length: 300 }, () => insertUser(ds))))]],
    );
    await ds.query('ANALYZE room_members');
    // The plan the app's prepared statement settles on (a generic one), on 20 sends at once.
    const qr = ds.createQueryRunner();
    try {
      await qr.startTransaction();
      await qr.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
      // Whatever join the planner would prefer with other statistics (a hash semi-join read all
      // 302 members on another run), the members must be probed, not read.
      await qr.query(`SET LOCAL enable_nestloop = off`);
      await qr.query(`PREPARE mention_cost AS ${APPEND_SQL}`);
      const membersRead = async (mentions: (string | null)[]) => {
        const n = mentions.length;
        // EXECUTE takes its arguments as SQL literals (EXPLAIN has no parameters of its own).
        const lit = (v: string | null) => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);
        const arr = (vs: (string | null)[], type: string) =>
          `ARRAY[${vs.map(lit).join(', ')}]::${type}[]`;
        const none = Array<null>(n).fill(null);
        const args = [
          arr(Array<string>(n).fill(room), 'uuid'),
          arr(Array<string>(n).fill(owner), 'uuid'),
          arr(
            mentions.map((m, i) => (m ? `@${m} ${i}` : `plain ${i}`)),
            'text',
          ),
          arr(Array<string>(n).fill('text'), 'text'),
          arr(none, 'text'),
          arr(none, 'uuid'),
          arr(none, 'uuid'),
          arr(mentions, 'text'),
          'false',
          arr(none, 'text'),
          arr(none, 'uuid'),
        ];
        const [{ 'QUERY PLAN': plan }] = (await qr.query(
          `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE mention_cost(${args.join(', ')})`,
        )) as { 'QUERY PLAN': unknown }[];
        let rows = 0;
        const walk = (node: Record<string, unknown>) => {
          if (node['Relation Name'] === 'room_members')
            rows += Number(node['Actual Rows']) * Number(node['Actual Loops']);
          for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? [])
            walk(child);
        };
        walk((plan as { Plan: Record<string, unknown> }[])[0].Plan);
        return rows;
      };
      expect(await membersRead(Array(20).fill(null))).toBe(0);
      expect(await membersRead([username, ...Array(19).fill(null)])).toBeLessThanOrEqual(1);
    } finally {
      await qr.rollbackTransaction();
      await qr.release();
    }
  });

  describe('attachments claimed by the send', () => {
    /** An upload of `user` in `room`, claimed under `token` (as MessageAttachments.claim does). */
    const claimedUpload = async (room: string, user: string, token: string | null) => {
      const [{ id }] = await ds.query<{ id: string }[]>(
        `INSERT INTO attachments (room_id, uploader_id, object_key, filename, content_type, size,
                                  uploaded_at, claim_token, claimed_at)
         VALUES ($1, $2, gen_random_uuid()::text, 'f.txt', 'text/plain', 3, now(), $3, now())
         RETURNING id`,
        [room, user, token],
      );
      return { id, filename: 'f.txt', contentType: 'text/plain', size: 3 };
    };
    const rowsOf = (ids: string[]) =>
      ds.query<
        {
          id: string;
          message_id: string | null;
          message_seq: string | null;
          claim_token: string | null;
        }[]
      >(
        `SELECT id, message_id, message_seq, claim_token FROM attachments WHERE id = ANY($1::uuid[]) ORDER BY id`,
        [ids],
      );

    it('are bound to the message by the statement that stores it', async () => {
      const owner = await insertUser(ds);
      const room = await insertRoom(ds, owner);
      const token = randomUUID();
      const files = [
        await claimedUpload(room, owner, token),
        await claimedUpload(room, owner, token),
      ];
      const plain = repo.appendToRoom({
        roomId: room,
        userId: owner,
        content: 'no files',
        type: 'text',
        clientMsgId: null,
      });
      const sent = await repo.appendToRoom({
        roomId: room,
        userId: owner,
        content: 'two files',
        type: 'text',
        clientMsgId: null,
        attachments: files,
        attachmentClaim: token,
      });
      expect((await plain)!.created).toBe(true);
      expect(sent!.message.attachments).toEqual(files);
      for (const row of await rowsOf(files.map((f) => f.id)))
        expect(row).toMatchObject({
          message_id: sent!.message.id,
          message_seq: String(sent!.message.seq),
          claim_token: null,
        });
    });

    it('a claim that no longer holds every upload stores nothing and binds nothing', async () => {
      const owner = await insertUser(ds);
      const room = await insertRoom(ds, owner);
      const mine = randomUUID();
      const kept = await claimedUpload(room, owner, mine);
      // The other upload's claim went stale and another send took it.
      const taken = await claimedUpload(room, owner, randomUUID());
      const before = await ds.query<{ last_seq: string; last_event_seq: string }[]>(
        `SELECT last_seq, last_event_seq FROM rooms WHERE id = $1`,
        [room],
      );
      expect(
        await repo.appendToRoom({
          roomId: room,
          userId: owner,
          content: 'lost one',
          type: 'text',
          clientMsgId: 'lost-claim',
          attachments: [kept, taken],
          attachmentClaim: mine,
        }),
      ).toBeNull();
      expect(
        await ds.query(`SELECT last_seq, last_event_seq FROM rooms WHERE id = $1`, [room]),
      ).toEqual(before);
      expect(await ds.query(`SELECT 1 FROM messages WHERE room_id = $1`, [room])).toHaveLength(0);
      expect((await rowsOf([kept.id])).map((r) => [r.message_id, r.claim_token])).toEqual([
        [null, mine],
      ]);
    });
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
    // The rendered history pages: the items' JSON in seq order, the edges, whether more lie past.
    const page = async (query: HistoryQuery) => {
      const p = await repo.readPage(room, query, owner);
      const items = JSON.parse(p.itemsJson) as Message[];
      return { seqs: items.map((m) => m.seq), first: p.firstSeq, last: p.lastSeq, more: p.more };
    };
    expect(await page({ kind: 'after', seq: 3, limit: 4 })).toEqual({
      seqs: [4, 5, 6, 7],
      first: 4,
      last: 7,
      more: true,
    });
    expect(await page({ kind: 'after', seq: 6, limit: 4 })).toEqual({
      seqs: [7, 8, 9, 10],
      first: 7,
      last: 10,
      more: false,
    });
    expect(await page({ kind: 'before', seq: 5, limit: 3 })).toEqual({
      seqs: [2, 3, 4],
      first: 2,
      last: 4,
      more: true,
    });
    expect(await page({ kind: 'latest', limit: 3 })).toEqual({
      seqs: [8, 9, 10],
      first: 8,
      last: 10,
      more: true,
    });
    expect(await page({ kind: 'before', seq: 2, limit: 50 })).toEqual({
      seqs: [1],
      first: 1,
      last: 1,
      more: false,
    });
    expect(await page({ kind: 'after', seq: 10, limit: 50 })).toEqual({
      seqs: [],
      first: null,
      last: null,
      more: false,
    });
    // A message as the page renders it is the message as findById reads it.
    const [rendered] = JSON.parse(
      (await repo.readPage(room, { kind: 'after', seq: 0, limit: 1 }, owner)).itemsJson,
    ) as Message[];
    expect(rendered).toEqual(await repo.findById(room, rendered.id, owner));
  });
  describe('reactions', () => {
    const rules = (m: Message, n: number, there: boolean) => {
      assertCanReact(m);
      checkReactionLimit(n, there);
    };
    const post = async (room: string, user: string) =>
      (await repo.appendToRoom({
        roomId: room,
        userId: user,
        content: 'react to me',
        type: 'text',
        clientMsgId: null,
      }))!.message;
    const reactionEvents = (room: string) =>
      ds.query<{ event_seq: string; kind: string; emoji: string; user_id: string }[]>(
        `SELECT event_seq, kind, data->>'emoji' AS emoji, data->>'userId' AS user_id
           FROM room_events WHERE room_id = $1 AND kind LIKE 'reaction.%' ORDER BY event_seq`,
        [room],
      );

    it('racing on one message, they keep the 20-emoji limit and record each change once', async () => {
      const owner = await insertUser(ds);
      const room = await insertRoom(ds, owner);
      const message = await post(room, owner);
      for (let i = 0; i < 19; i++)
        await repo.react(room, message.id, owner, `:e${i}:`, true, rules);
      // Ten users race for the one distinct emoji left; ten more race to add one existing emoji
      // twice each (repeats record nothing); sends to the room go on meanwhile.
      const users = await Promise.all(Array.from({ length: 10 }, () => insertUser(ds)));
      const outcomes = await Promise.allSettled([
        ...users.map((u, i) => repo.react(room, message.id, u, `:new${i}:`, true, rules)),
        ...users.flatMap((u) => [
          repo.react(room, message.id, u, ':e0:', true, rules),
          repo.react(room, message.id, u, ':e0:', true, rules),
        ]),
        ...users.map(() => post(room, owner)),
      ]);
      const newcomers = outcomes.slice(0, 10);
      expect(newcomers.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of newcomers.filter((x) => x.status === 'rejected'))
        expect(o.reason).toMatchObject({ code: 'REACTION_LIMIT' });
      expect(outcomes.slice(10).every((o) => o.status === 'fulfilled')).toBe(true);

      const [{ n }] = await ds.query<{ n: number }[]>(
        `SELECT count(DISTINCT emoji)::int AS n FROM message_reactions WHERE room_id = $1 AND seq = $2`,
        [room, message.seq],
      );
      expect(n).toBe(20);
      const events = await reactionEvents(room);
      // 19 set up, 1 newcomer, 10 users once each on :e0:.
      expect(events).toHaveLength(30);
      expect(events.filter((e) => e.emoji === ':e0:')).toHaveLength(11);
      const all = await ds.query<{ event_seq: string }[]>(
        `SELECT event_seq FROM room_events WHERE room_id = $1 ORDER BY event_seq`,
        [room],
      );
      expect(all.map((e) => Number(e.event_seq))).toEqual(
        Array.from({ length: all.length }, (_, i) => i + 1),
      );
    });

    it('a history page shows each message with its own reactions, as findById reads it', async () => {
      const [owner, other] = [await insertUser(ds), await insertUser(ds)];
      const room = await insertRoom(ds, owner);
      const messages: Message[] = [];
      for (let i = 0; i < 8; i++) messages.push(await post(room, owner));
      // Reactions inside and outside the pages read below, by the reader and by someone else,
      // in an order that is not the emoji's.
      const plan: [number, string, string][] = [
        [0, other, '👍'],
        [2, other, ':b:'],
        [2, owner, ':a:'],
        [2, other, ':a:'],
        [3, owner, '🎉'],
        [6, other, '👍'],
        [7, owner, ':z:'],
      ];
      for (const [k, user, emoji] of plan)
        await repo.react(room, messages[k].id, user, emoji, true, rules);
      const reader = async (u: string) =>
        Promise.all(messages.map((m) => repo.findById(room, m.id, u)));
      for (const u of [owner, other]) {
        const want = await reader(u);
        for (const query of [
          { kind: 'after', seq: 1, limit: 4 },
          { kind: 'before', seq: 8, limit: 4 },
          { kind: 'latest', limit: 3 },
        ] as HistoryQuery[]) {
          const items = JSON.parse((await repo.readPage(room, query, u)).itemsJson) as Message[];
          expect(items.length).toBeGreaterThan(0);
          for (const item of items) expect(item).toEqual(want[item.seq - 1]);
        }
      }
      expect((await reader(owner))[2]!.reactions).toEqual([
        { emoji: ':b:', count: 1, me: false },
        { emoji: ':a:', count: 2, me: true },
      ]);
    });

    it('racing adds and removes leave the log replaying to exactly the stored reactions', async () => {
      const owner = await insertUser(ds);
      const room = await insertRoom(ds, owner);
      const message = await post(room, owner);
      const users = await Promise.all(Array.from({ length: 5 }, () => insertUser(ds)));
      await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          repo.react(room, message.id, users[i % 5], `:x${i % 3}:`, i % 4 !== 3, rules),
        ),
      );
      const replayed = new Set<string>();
      for (const e of await reactionEvents(room)) {
        const key = `${e.user_id} ${e.emoji}`;
        if (e.kind === 'reaction.added') {
          expect(replayed.has(key)).toBe(false);
          replayed.add(key);
        } else {
          expect(replayed.delete(key)).toBe(true);
        }
      }
      const stored = await ds.query<{ key: string }[]>(
        `SELECT user_id || ' ' || emoji AS key FROM message_reactions WHERE room_id = $1 AND seq = $2`,
        [room, message.seq],
      );
      expect(new Set(stored.map((r) => r.key))).toEqual(replayed);
    });

    it('a message of another room, or none at all, gets no reaction and no event', async () => {
      const owner = await insertUser(ds);
      const room = await insertRoom(ds, owner);
      const other = await insertRoom(ds, owner);
      const message = await post(other, owner);
      expect(await repo.react(room, message.id, owner, ':x:', true, rules)).toBeNull();
      const missing = '00000000-0000-4000-8000-00000000beef';
      expect(await repo.react(room, missing, owner, ':x:', true, rules)).toBeNull();
      expect(await repo.react(missing, message.id, owner, ':x:', true, rules)).toBeNull();
      expect(await reactionEvents(room)).toHaveLength(0);
      expect(await reactionEvents(other)).toHaveLength(0);
    });

    it('a tombstone refuses a reaction and records nothing', async () => {
      const owner = await insertUser(ds);
      const room = await insertRoom(ds, owner);
      const message = await post(room, owner);
      await repo.change(room, message.id, () => ({ kind: 'delete' }));
      await expect(repo.react(room, message.id, owner, ':x:', true, rules)).rejects.toMatchObject({
        code: 'MESSAGE_DELETED',
      });
      expect(await reactionEvents(room)).toHaveLength(0);
    });
  });
});
