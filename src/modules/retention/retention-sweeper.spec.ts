import { describe, expect, it } from '@jest/globals';
import type { RetentionConfig } from '../../config/configuration.js';
import { RetentionRepository, type SweptBatch } from './domain/retention.repository.js';
import { RetentionSweeper } from './retention-sweeper.js';

const DAY = 86_400_000;

interface Event {
  eventSeq: number;
  /** The message seq of a message.new event. */
  seq: number | null;
  at: number;
  unpublished?: boolean;
}

interface FakeRoom {
  id: string;
  retentionDays: number | null;
  events: Event[];
  messages: number[];
}

/** The port's meaning, in memory: prefixes of each room's log, batches of at most `batch`. */
class InMemoryRetention extends RetentionRepository {
  rooms: FakeRoom[] = [];
  now = 100 * DAY;
  locked = false;
  statements = 0;
  pages: (string | null)[] = [];

  async exclusively<T>(sweep: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    if (this.locked) return { ran: false };
    this.locked = true;
    try {
      return { ran: true, value: await sweep() };
    } finally {
      this.locked = false;
    }
  }

  private cutoff(r: FakeRoom, serverDays: number | null): number | null {
    const days = r.retentionDays ?? serverDays;
    return days === null ? null : this.now - days * DAY;
  }

  roomsDue(afterRoomId: string | null, limit: number, serverDays: number | null) {
    this.pages.push(afterRoomId);
    const page = [...this.rooms]
      .sort((a, b) => a.id.localeCompare(b.id))
      .filter((r) => afterRoomId === null || r.id > afterRoomId)
      .slice(0, limit);
    const roomIds = page
      .filter((r) => {
        const cutoff = this.cutoff(r, serverDays);
        return cutoff !== null && r.events.length > 0 && r.events[0].at < cutoff;
      })
      .map((r) => r.id);
    return Promise.resolve({
      roomIds,
      next: page.length === limit ? page[page.length - 1].id : null,
    });
  }

  deleteExpired(roomId: string, serverDays: number | null, batch: number): Promise<SweptBatch> {
    this.statements++;
    const r = this.rooms.find((x) => x.id === roomId)!;
    const cutoff = this.cutoff(r, serverDays);
    if (cutoff === null) return Promise.resolve({ messages: 0, events: 0 });
    const head = r.events.slice(0, batch);
    const stop = head.findIndex((e) => e.at >= cutoff || e.unpublished);
    const gone = stop === -1 ? head : head.slice(0, stop);
    const maxSeq = Math.max(0, ...gone.map((e) => e.seq ?? 0));
    const before = r.messages.length;
    r.messages = r.messages.filter((s) => s > maxSeq);
    r.events = r.events.slice(gone.length);
    return Promise.resolve({ messages: before - r.messages.length, events: gone.length });
  }
}

const config = (over: Partial<RetentionConfig> = {}): RetentionConfig => ({
  defaultDays: null,
  sweepMs: 60_000,
  batch: 3,
  ...over,
});

/** A room of `n` messages, one a day, the oldest `n` days before `now`. */
function room(repo: InMemoryRetention, id: string, n: number, retentionDays: number | null) {
  const events: Event[] = Array.from({ length: n }, (_, i) => ({
    eventSeq: i + 1,
    seq: i + 1,
    at: repo.now - (n - i) * DAY + 1,
  }));
  const r: FakeRoom = { id, retentionDays, events, messages: events.map((e) => e.seq!) };
  repo.rooms.push(r);
  return r;
}

describe('RetentionSweeper', () => {
  it("deletes past each room's effective retention, in batches, and keeps the rest's seqs", async () => {
    const repo = new InMemoryRetention();
    const own = room(repo, 'a', 10, 4); // keeps 4 days
    const byDefault = room(repo, 'b', 10, null); // the server's 7
    const sweeper = new RetentionSweeper(repo, config({ defaultDays: 7 }));
    const report = await sweeper.sweep();
    expect(own.messages).toEqual([7, 8, 9, 10]);
    expect(byDefault.messages).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(report).toEqual({ rooms: 2, messages: 9, events: 9 });
    // Batches of 3: room a took 6 + 0 (two full, one short), room b 3 + 0.
    expect(repo.statements).toBe(5);
  });

  it('keeps everything when neither the room nor the server sets a retention', async () => {
    const repo = new InMemoryRetention();
    const r = room(repo, 'a', 5, null);
    expect(await new RetentionSweeper(repo, config()).sweep()).toEqual({
      rooms: 0,
      messages: 0,
      events: 0,
    });
    expect(r.messages).toHaveLength(5);
  });

  it('stops at an event the relay has not published yet, whatever its age', async () => {
    const repo = new InMemoryRetention();
    const r = room(repo, 'a', 6, 1);
    r.events[2].unpublished = true;
    await new RetentionSweeper(repo, config()).sweep();
    expect(r.messages).toEqual([3, 4, 5, 6]);
  });

  it('walks every page of rooms', async () => {
    const repo = new InMemoryRetention();
    const rooms = Array.from({ length: 1203 }, (_, i) =>
      room(repo, `r${String(i).padStart(5, '0')}`, 2, 1),
    );
    const report = await new RetentionSweeper(repo, config()).sweep();
    expect(report?.rooms).toBe(1203);
    expect(rooms.every((r) => r.messages.length === 1)).toBe(true);
    expect(repo.pages).toEqual([null, 'r00499', 'r00999']);
  });

  it('skips the round while another instance sweeps', async () => {
    const repo = new InMemoryRetention();
    const r = room(repo, 'a', 5, 1);
    repo.locked = true;
    expect(await new RetentionSweeper(repo, config()).sweep()).toBeNull();
    expect(r.messages).toHaveLength(5);
  });
});
