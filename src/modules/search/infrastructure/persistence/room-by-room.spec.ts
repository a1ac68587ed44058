import { describe, expect, it } from '@jest/globals';
import type { SearchPosition } from '../../domain/search-cursor.js';
import {
  compareHits,
  FIRST_WINDOW,
  type HitKey,
  LAST_WINDOW,
  RoomByRoomSearch,
  type RoundRequest,
  type WindowRow,
} from './room-by-room.js';

interface Msg extends HitKey {
  hit: boolean;
}

/** Rooms held in memory, read as the SQL rounds read them (roomWindows, roomIndexed). */
class InMemoryRooms {
  windowRows = 0;
  readOf = new Map<string, number>();
  indexedRooms = 0;
  constructor(readonly messages: Msg[]) {}

  private unread(roomId: string, at: string, seq: number): Msg[] {
    return this.messages
      .filter((m) => m.roomId === roomId)
      .filter((m) => at === 'infinity' || m.at < at || (m.at === at && m.seq < seq))
      .sort(compareHits);
  }

  windows(round: RoundRequest, want: number): WindowRow[] {
    return round.rooms.flatMap((roomId, i) => {
      if (round.windows[i] === 0) return [];
      const { at, seq } = round.positions[i];
      const window = this.unread(roomId, at, seq).slice(0, round.windows[i]);
      this.windowRows += window.length;
      this.readOf.set(roomId, (this.readOf.get(roomId) ?? 0) + window.length);
      let hits = 0;
      return window.flatMap((m, n) => {
        if (m.hit) hits++;
        const last = n + 1 === round.windows[i];
        return (m.hit && hits <= want) || last
          ? [{ at: m.at, roomId: m.roomId, seq: m.seq, hit: m.hit, last }]
          : [];
      });
    });
  }

  indexed(round: RoundRequest, want: number): HitKey[] {
    return round.rooms.flatMap((roomId, i) => {
      if (!round.indexed[i]) return [];
      this.indexedRooms++;
      const { at, seq } = round.positions[i];
      return this.unread(roomId, at, seq)
        .filter((m) => m.hit)
        .slice(0, want)
        .map(({ at: a, roomId: r, seq: s }) => ({ at: a, roomId: r, seq: s }));
    });
  }

  /** The answer by brute force: every hit after `after`, newest first. */
  expected(rooms: string[], after: SearchPosition | null, want: number): HitKey[] {
    const bar = after && { at: after.createdAt, roomId: after.roomId, seq: after.seq };
    return this.messages
      .filter((m) => m.hit && rooms.includes(m.roomId))
      .filter((m) => !bar || compareHits(m, bar) > 0)
      .sort(compareHits)
      .slice(0, want)
      .map(({ at, roomId, seq }) => ({ at, roomId, seq }));
  }
}

function run(db: InMemoryRooms, rooms: string[], after: SearchPosition | null, want: number) {
  const search = new RoomByRoomSearch(rooms, after, want);
  let rounds = 0;
  for (let r = search.nextWindows(); r; r = search.nextWindows()) {
    search.takeWindows(db.windows(r, want));
    if (++rounds > 20) throw new Error('the windows never end');
  }
  const indexed = search.nextIndexed();
  if (indexed) search.takeIndexed(db.indexed(indexed, want));
  return search.hits();
}

const room = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const at = (s: number) =>
  new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString().replace('Z', '000Z');

/** A small deterministic generator, so a failure names its seed. */
function random(seed: number) {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

describe('RoomByRoomSearch', () => {
  it('finds what brute force finds, for any rooms, densities, ties and cursors', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = random(seed);
      const rooms = Array.from({ length: 1 + Math.floor(rnd() * 12) }, (_, i) => room(i + 1));
      const messages: Msg[] = [];
      for (const r of rooms) {
        const size = Math.floor(rnd() ** 2 * 3000);
        const density = [0, 0.001, 0.02, 0.3, 1][Math.floor(rnd() * 5)];
        let clock = Math.floor(rnd() * 50);
        for (let seq = 1; seq <= size; seq++) {
          clock += rnd() < 0.3 ? 0 : 1 + Math.floor(rnd() * 3); // equal times across rooms too
          messages.push({ at: at(clock), roomId: r, seq, hit: rnd() < density });
        }
      }
      const db = new InMemoryRooms(messages);
      const want = 1 + Math.floor(rnd() * 60);
      const first = run(db, rooms, null, want);
      expect({ seed, hits: first }).toEqual({ seed, hits: db.expected(rooms, null, want) });
      // The next pages, from the last hit of each (a keyset cursor), until none is left.
      let page = first;
      for (let p = 0; p < 3 && page.length === want; p++) {
        const last = page[page.length - 1];
        const after = { createdAt: last.at, roomId: last.roomId, seq: last.seq };
        page = run(db, rooms, after, want);
        expect({ seed, p, hits: page }).toEqual({ seed, p, hits: db.expected(rooms, after, want) });
      }
    }
  });

  it('a busy room without the term costs one window and an index probe, not its history', () => {
    const busy = room(1);
    const quiet = room(2);
    const messages: Msg[] = [];
    // 20,000 newer messages in the busy room, none a hit; the quiet room's every other one is.
    for (let seq = 1; seq <= 20_000; seq++)
      messages.push({ at: at(100_000 + seq), roomId: busy, seq, hit: false });
    for (let seq = 1; seq <= 2_000; seq++)
      messages.push({ at: at(seq), roomId: quiet, seq, hit: seq % 2 === 0 });
    const db = new InMemoryRooms(messages);
    const hits = run(db, [busy, quiet], null, 51);
    expect(hits).toEqual(db.expected([busy, quiet], null, 51));
    expect(db.readOf.get(busy)).toBe(FIRST_WINDOW);
    expect(db.indexedRooms).toBe(1);
    // Windows that double read at most about twice what the quiet room needs (102 messages).
    expect(db.readOf.get(quiet)).toBeLessThanOrEqual(FIRST_WINDOW + 2 * 102);
  });

  it('a room where every window finds the term is read by windows only, never through its index', () => {
    const r = room(1);
    const messages: Msg[] = Array.from({ length: 50_000 }, (_, i) => ({
      at: at(i),
      roomId: r,
      seq: i + 1,
      hit: i % 10 === 9, // 10 %: a window of 32 finds three
    }));
    const db = new InMemoryRooms(messages);
    expect(run(db, [r], null, 51)).toEqual(db.expected([r], null, 51));
    expect(db.indexedRooms).toBe(0);
    expect(db.windowRows).toBeLessThanOrEqual(FIRST_WINDOW + 2 * 510);
  });

  it('windows stop doubling at LAST_WINDOW: a room that sparse is then read through its index', () => {
    const r = room(1);
    // One hit at the top of each window (32, 64, ... 4096 messages: 8,160 read), then one in 1,000.
    const tops = new Set([0, 32, 96, 224, 480, 992, 2016, 4064]);
    const messages: Msg[] = Array.from({ length: 100_000 }, (_, i) => {
      const depth = 99_999 - i;
      return { at: at(i), roomId: r, seq: i + 1, hit: tops.has(depth) || depth % 1000 === 999 };
    });
    const db = new InMemoryRooms(messages);
    expect(run(db, [r], null, 51)).toEqual(db.expected([r], null, 51));
    expect(db.indexedRooms).toBe(1);
    expect(db.windowRows).toBe(2 * LAST_WINDOW - FIRST_WINDOW);
  });

  it('a room older than the page is not read past its first window', () => {
    const fresh = room(1);
    const old = room(2);
    const messages: Msg[] = [];
    for (let seq = 1; seq <= 200; seq++)
      messages.push({ at: at(10_000 + seq), roomId: fresh, seq, hit: true });
    for (let seq = 1; seq <= 5_000; seq++)
      messages.push({ at: at(seq), roomId: old, seq, hit: seq % 500 === 250 });
    const db = new InMemoryRooms(messages);
    expect(run(db, [fresh, old], null, 51)).toEqual(db.expected([fresh, old], null, 51));
    expect(db.indexedRooms).toBe(0); // its one window found none, and the rest is older
    expect(db.readOf.get(old)).toBe(FIRST_WINDOW);
    expect(db.readOf.get(fresh)).toBe(FIRST_WINDOW * 3); // 32 hits, then 19 of the next 64
  });
});
