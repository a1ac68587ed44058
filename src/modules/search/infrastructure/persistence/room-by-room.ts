// The room-by-room search: which rows of which rooms a search reads next, and when it is done.
// No framework or driver imports: the SQL adapter runs its rounds (sql-message-search.repository),
// and its unit spec runs them over rooms held in memory against the answer by brute force.
import type { SearchPosition } from '../../domain/search-cursor.js';

/** A hit's place in the results: newest first by (at, roomId, seq), all descending. */
export interface HitKey {
  /** created_at as PostgreSQL's microseconds, ISO 8601 UTC (as SearchPosition.createdAt). */
  at: string;
  roomId: string;
  seq: number;
}

/** Negative when a comes first (is newer) in result order. */
export function compareHits(a: HitKey, b: HitKey): number {
  if (a.at !== b.at) return a.at > b.at ? -1 : 1;
  if (a.roomId !== b.roomId) return a.roomId > b.roomId ? -1 : 1;
  return b.seq - a.seq;
}

/**
 * Where a room's unread part starts: its messages with (at, seq) below (at, seq) are left.
 * 'infinity' for a room not read at all (PostgreSQL's timestamptz reads it).
 */
export interface RoomPosition {
  at: string;
  seq: number;
}

/** One row a window hands back: a hit, or the window's last row (`last`), or both. */
export interface WindowRow extends HitKey {
  hit: boolean;
  last: boolean;
}

/** What one round asks of each room (index i: rooms[i]). */
export interface RoundRequest {
  rooms: string[];
  positions: RoomPosition[];
  /** Windows: how many of the room's newest unread messages to read (0: none). */
  windows: number[];
  /** Through the room's search index: every hit below its position (false: none). */
  indexed: boolean[];
}

/** The first window of a room, in messages. */
export const FIRST_WINDOW = 32;
/** A window doubles while it finds hits, up to this; past it a room is read through its index. */
export const LAST_WINDOW = 4096;

const BIGGEST_SEQ = Number.MAX_SAFE_INTEGER;
const FROM_NEWEST: RoomPosition = { at: 'infinity', seq: 0 };

interface RoomState {
  position: RoomPosition;
  window: number;
  hits: number;
  /** 'window': read by windows; 'index': through its index next; 'done': nothing more needed. */
  mode: 'window' | 'index' | 'done';
}

/**
 * A search of `rooms` for the newest `want` hits after `after`, room by room. Each room is read
 * newest first in windows that double while they find hits; a room whose window found none is
 * read through its index (a term absent from a room's newest messages is rare there, so its index
 * hands over few rows). A room is done when it gave `want` hits, when it has no more messages, or
 * when what is left of it is older than the `want`-th hit found so far. So a page costs what its
 * rooms need to fill it: a busy room without the term costs one window and an index probe, a
 * quiet room where the term is common one window, whatever else the rooms hold.
 */
export class RoomByRoomSearch {
  private readonly state: RoomState[];
  private found: HitKey[] = [];

  constructor(
    private readonly rooms: string[],
    after: SearchPosition | null,
    private readonly want: number,
  ) {
    this.state = rooms.map((roomId) => ({
      position: after ? startBelow(after, roomId) : FROM_NEWEST,
      window: FIRST_WINDOW,
      hits: 0,
      mode: 'window',
    }));
  }

  /** The next round of windows, or null when no room is read by windows any more. */
  nextWindows(): RoundRequest | null {
    this.prune();
    if (!this.state.some((s) => s.mode === 'window')) return null;
    return this.request((s) => s.mode === 'window', 'windows');
  }

  /** The round through the rooms' indexes (after the windows), or null when none is needed. */
  nextIndexed(): RoundRequest | null {
    this.prune();
    if (!this.state.some((s) => s.mode === 'index')) return null;
    return this.request((s) => s.mode === 'index', 'indexed');
  }

  /** What a round of windows handed back, for the rooms of its request. */
  takeWindows(rows: WindowRow[]): void {
    const byRoom = new Map<string, WindowRow[]>();
    for (const r of [...rows].sort(compareHits)) {
      const list = byRoom.get(r.roomId);
      if (list) list.push(r);
      else byRoom.set(r.roomId, [r]);
    }
    this.rooms.forEach((roomId, i) => {
      const s = this.state[i];
      if (s.mode !== 'window') return;
      const got = byRoom.get(roomId) ?? [];
      const hits = got
        .filter((r) => r.hit)
        .slice(0, this.want - s.hits)
        .map(({ at, seq }) => ({ at, roomId, seq }));
      this.add(hits);
      s.hits += hits.length;
      const last = got.find((r) => r.last);
      if (s.hits >= this.want || !last) s.mode = 'done';
      else {
        s.position = { at: last.at, seq: last.seq };
        if (hits.length === 0 || s.window >= LAST_WINDOW) s.mode = 'index';
        else s.window *= 2;
      }
    });
  }

  /** What the round through the indexes handed back: every such room is then done. */
  takeIndexed(rows: HitKey[]): void {
    this.add(rows.map(({ at, roomId, seq }) => ({ at, roomId, seq })));
    for (const s of this.state) if (s.mode === 'index') s.mode = 'done';
  }

  /** The hits found, in result order, at most `want`: the answer once both rounds are null. */
  hits(): HitKey[] {
    return this.found;
  }

  private add(hits: HitKey[]): void {
    if (hits.length === 0) return;
    this.found = [...this.found, ...hits].sort(compareHits).slice(0, this.want);
  }

  /** A room whose unread part is all older than the want-th hit found has nothing to add. */
  private prune(): void {
    if (this.found.length < this.want) return;
    const bar = this.found[this.want - 1];
    this.rooms.forEach((roomId, i) => {
      const s = this.state[i];
      if (s.mode === 'done' || s.position.at === 'infinity') return;
      // The room's unread rows are below (position.at, roomId, position.seq) in result order.
      if (compareHits({ at: s.position.at, roomId, seq: s.position.seq }, bar) >= 0)
        s.mode = 'done';
    });
  }

  private request(pick: (s: RoomState) => boolean, kind: 'windows' | 'indexed'): RoundRequest {
    return {
      rooms: this.rooms,
      positions: this.state.map((s) => s.position),
      windows: this.state.map((s) => (kind === 'windows' && pick(s) ? s.window : 0)),
      indexed: this.state.map((s) => kind === 'indexed' && pick(s)),
    };
  }
}

/**
 * Where a room's part of the results after `after` starts: rows below (after.createdAt,
 * after.roomId, after.seq) in result order are, in a room ordered before after.roomId, those
 * up to after.createdAt included; in after's room, those below it; in a room after it, those
 * older than after.createdAt (seqs start at 1).
 */
function startBelow(after: SearchPosition, roomId: string): RoomPosition {
  const cursorRoom = after.roomId.toLowerCase();
  if (roomId < cursorRoom) return { at: after.createdAt, seq: BIGGEST_SEQ };
  if (roomId === cursorRoom) return { at: after.createdAt, seq: after.seq };
  return { at: after.createdAt, seq: 0 };
}
