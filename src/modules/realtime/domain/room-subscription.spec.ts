import { describe, expect, it, jest } from '@jest/globals';
import { RoomSubscription, type SubscriptionSink } from './room-subscription.js';

const ROOM = '00000000-0000-4000-8000-000000000001';
/** A room event of any kind: the subscription only looks at its place in the log. */
interface Ev {
  eventSeq: number;
  kind: string;
}
const KINDS = ['message.new', 'message.edited', 'reaction.added', 'member.joined'];
const msg = (eventSeq: number): Ev => ({ eventSeq, kind: KINDS[eventSeq % KINDS.length] });

/** A fake "database" holding seqs 1..stored, and a socket that records what it was sent. */
function harness(stored: number, opts: { gapFillMs?: number; pageSize?: number } = {}) {
  const db = { stored };
  const sent: number[] = [];
  const fetches: [number, number][] = [];
  let gate: Promise<void> | null = null;
  const sink: SubscriptionSink<Ev> = {
    deliver: (m) => {
      sent.push(m.eventSeq);
      return true;
    },
    fetchAfter: async (after, limit) => {
      fetches.push([after, limit]);
      if (gate) await gate;
      const out: Ev[] = [];
      for (let s = after + 1; s <= Math.min(db.stored, after + limit); s++) out.push(msg(s));
      return out;
    },
    writable: async () => undefined,
    fail: (err) => {
      throw err;
    },
  };
  const sub = new RoomSubscription(ROOM, sink, {
    gapFillMs: opts.gapFillMs ?? 50,
    pageSize: opts.pageSize ?? 3,
  });
  return {
    db,
    sent,
    fetches,
    sub,
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('RoomSubscription', () => {
  it('replays everything after the start position in pages, then goes live', async () => {
    const h = harness(7, { pageSize: 3 });
    await h.sub.start(2);
    expect(h.sent).toEqual([3, 4, 5, 6, 7]);
    expect(h.sub.isLive).toBe(true);
    h.sub.offer(msg(8));
    expect(h.sent).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('starts from a first page read beforehand (the resume check), reading the log only after it', async () => {
    const h = harness(7, { pageSize: 3 });
    // The first page after 2, read when the resume was checked; 6 arrives live meanwhile.
    h.sub.offer(msg(6));
    await h.sub.start(2, { firstPage: [msg(3), msg(4), msg(5)] });
    expect(h.sent).toEqual([3, 4, 5, 6, 7]);
    expect(h.fetches).toEqual([[6, 3]]);
    expect(h.sub.isLive).toBe(true);
  });

  it('a short first page read beforehand is the whole replay: no read at all', async () => {
    const h = harness(4, { pageSize: 3 });
    await h.sub.start(2, { firstPage: [msg(3), msg(4)] });
    expect(h.sent).toEqual([3, 4]);
    expect(h.fetches).toEqual([]);
  });

  it('holds live events back during replay and merges them without gap or duplicate', async () => {
    const h = harness(5, { pageSize: 2 });
    const release = h.hold();
    const started = h.sub.start(0);
    // While the first page is being read, messages 6..8 are committed and arrive live,
    // and 3 (already in the database) arrives live too.
    h.db.stored = 8;
    for (const s of [6, 3, 7, 8]) h.sub.offer(msg(s));
    expect(h.sent).toEqual([]);
    release();
    await started;
    expect(h.sent).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('runs `before` (a v1 afterSeq replay) with live events held back, then the log after the position', async () => {
    const h = harness(4, { pageSize: 2 });
    const order: string[] = [];
    let releaseBefore!: () => void;
    const gate = new Promise<void>((r) => (releaseBefore = r));
    const started = h.sub.start(4, {
      before: async () => {
        order.push('before');
        await gate;
      },
    });
    // Events committed while the replay of messages runs: held, none sent yet.
    h.db.stored = 6;
    h.sub.offer(msg(6));
    h.sub.offer(msg(5));
    expect(h.sent).toEqual([]);
    releaseBefore();
    await started;
    expect(order).toEqual(['before']);
    expect(h.sent).toEqual([5, 6]);
    expect(h.sub.isLive).toBe(true);
  });

  it('drops duplicates and anything at or before the position', async () => {
    const h = harness(3);
    await h.sub.start(3);
    h.sub.offer(msg(2));
    h.sub.offer(msg(3));
    h.sub.offer(msg(4));
    h.sub.offer(msg(4));
    expect(h.sent).toEqual([4]);
  });

  it('holds a later seq until the gap fills from the bus', async () => {
    const h = harness(0, { gapFillMs: 10_000 });
    await h.sub.start(0);
    h.sub.offer(msg(2));
    h.sub.offer(msg(3));
    expect(h.sent).toEqual([]);
    h.sub.offer(msg(1));
    expect(h.sent).toEqual([1, 2, 3]);
    h.sub.close();
  });

  it('reads a gap from the database when it does not fill in time', async () => {
    jest.useFakeTimers();
    try {
      const h = harness(0, { gapFillMs: 100 });
      await h.sub.start(0);
      h.db.stored = 3; // 1 and 2 are committed, but their events are late
      h.sub.offer(msg(3));
      expect(h.sent).toEqual([]);
      jest.advanceTimersByTime(100);
      jest.useRealTimers();
      await tick();
      await tick();
      expect(h.sent).toEqual([1, 2, 3]);
      // The late events then arrive and are dropped.
      h.sub.offer(msg(1));
      h.sub.offer(msg(2));
      expect(h.sent).toEqual([1, 2, 3]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('stops delivering once closed', async () => {
    const h = harness(0);
    await h.sub.start(0);
    h.sub.close();
    h.sub.offer(msg(1));
    expect(h.sent).toEqual([]);
  });

  it('closes itself when the socket is gone', async () => {
    const h = harness(0);
    let open = true;
    const sink: SubscriptionSink<Ev> = {
      deliver: () => open,
      fetchAfter: async () => [],
      writable: async () => undefined,
      fail: () => undefined,
    };
    const sub = new RoomSubscription(ROOM, sink, { gapFillMs: 10, pageSize: 10 });
    await sub.start(0);
    sub.offer(msg(1));
    expect(sub.position).toBe(1);
    open = false;
    sub.offer(msg(2));
    expect(sub.position).toBe(1);
    sub.offer(msg(3));
    expect(sub.position).toBe(1);
    expect(h.sent).toEqual([]);
  });
});
