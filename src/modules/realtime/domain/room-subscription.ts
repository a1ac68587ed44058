// One socket's subscription to one room: it hands the room's events (every kind: new, edited,
// deleted and reacted messages, member changes, room updates) to the socket strictly in eventSeq
// order, exactly once. Framework-free so the ordering rules can be tested in isolation.
//
// - Subscribing with afterEventSeq replays eventSeq > afterEventSeq from the room's log while
//   live events are held back; live delivery starts where the replay ended, so the switch has no
//   gap and no duplicate.
// - Live events may arrive out of order (two instances commit 5 and 6, publish 6 first) or
//   twice (a redelivered bus record). Anything <= lastSent is dropped; a later one waits until
//   the gap fills, and if it does not within `gapFillMs`, the missing ones are read from the log.

/** Anything with a place in the room's log. */
export interface Sequenced {
  eventSeq: number;
}

export interface SubscriptionSink<E extends Sequenced> {
  /** Writes one event's frame; false when the socket is gone. */
  deliver(event: E): boolean;
  /** Events with eventSeq > afterEventSeq, ascending, at most `limit`. */
  fetchAfter(afterEventSeq: number, limit: number): Promise<E[]>;
  /** Resolves once the socket's send buffer has room again (replay pacing). */
  writable(): Promise<void>;
  /** A fetch failed: the subscription cannot guarantee order any more. */
  fail(err: unknown): void;
  /** A gap did not fill from the bus in time and was read from the database. */
  onGapFill?(): void;
}

export interface SubscriptionOptions {
  gapFillMs: number;
  pageSize: number;
  /** Hold at most this many out-of-order events before forcing a database catch-up. */
  maxPending?: number;
}

export class RoomSubscription<E extends Sequenced> {
  /** Highest eventSeq sent; -1 until `start` gives the position (events are held back until then). */
  private lastSent = -1;
  private replaying = true;
  private fetching = false;
  /** start's firstPage, until the first catch-up takes it. */
  private prefetched: E[] | null = null;
  private closed = false;
  private readonly pending = new Map<number, E>();
  private gapTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly roomId: string,
    private readonly sink: SubscriptionSink<E>,
    private readonly opts: SubscriptionOptions,
  ) {}

  get position(): number {
    return this.lastSent;
  }

  get isLive(): boolean {
    return !this.replaying;
  }

  /** A live event from the bus. */
  offer(event: E): void {
    if (this.closed || event.eventSeq <= this.lastSent) return;
    if (this.replaying || this.fetching || event.eventSeq !== this.lastSent + 1) {
      this.pending.set(event.eventSeq, event);
      if (!this.replaying && !this.fetching) this.scheduleGapFill();
      return;
    }
    this.send(event);
    this.drain();
  }

  /**
   * Sends everything with eventSeq > afterEventSeq from the log, then switches to live delivery.
   * Live events offered before or during this are held back and merged in order. `before` runs
   * first, with live events already held back (the v1 afterSeq replay of messages).
   * `firstPage`: the log's first page after afterEventSeq (up to pageSize events), already read
   * after this subscription was registered (the resume check reads it): used instead of reading
   * it again.
   */
  async start(
    afterEventSeq: number,
    opts: { before?: () => Promise<void>; firstPage?: E[] } = {},
  ): Promise<void> {
    this.lastSent = afterEventSeq;
    this.prefetched = opts.firstPage ?? null;
    try {
      if (opts.before) await opts.before();
      await this.catchUp(Number.MAX_SAFE_INTEGER);
    } catch (err) {
      this.sink.fail(err);
      return;
    }
    this.replaying = false;
    this.drain();
  }

  close(): void {
    this.closed = true;
    this.pending.clear();
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = null;
  }

  private send(event: E): void {
    if (this.closed) return;
    if (!this.sink.deliver(event)) {
      this.close();
      return;
    }
    this.lastSent = event.eventSeq;
  }

  /** Sends held-back events that are next in line; schedules a gap fill if a hole remains. */
  private drain(): void {
    for (;;) {
      const next = this.pending.get(this.lastSent + 1);
      if (!next || this.closed) break;
      this.pending.delete(next.eventSeq);
      this.send(next);
    }
    for (const seq of this.pending.keys()) if (seq <= this.lastSent) this.pending.delete(seq);
    if (this.pending.size === 0) {
      if (this.gapTimer) clearTimeout(this.gapTimer);
      this.gapTimer = null;
    } else if (this.opts.maxPending !== undefined && this.pending.size > this.opts.maxPending) {
      void this.fillGap();
    } else {
      this.scheduleGapFill();
    }
  }

  private scheduleGapFill(): void {
    if (this.gapTimer || this.closed) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      void this.fillGap();
    }, this.opts.gapFillMs);
    this.gapTimer.unref?.();
  }

  private async fillGap(): Promise<void> {
    if (this.closed || this.fetching || this.replaying || this.pending.size === 0) return;
    this.sink.onGapFill?.();
    const target = Math.min(...this.pending.keys()) - 1;
    try {
      await this.catchUp(target);
    } catch (err) {
      this.sink.fail(err);
      return;
    }
    this.drain();
  }

  /** Reads from the log until lastSent reaches `target` or the room has nothing more. */
  private async catchUp(target: number): Promise<void> {
    this.fetching = true;
    try {
      while (!this.closed && this.lastSent < target) {
        let want = Math.min(this.opts.pageSize, target - this.lastSent);
        let rows: E[];
        if (this.prefetched) {
          // Read with a limit of pageSize, from the start position.
          [rows, want, this.prefetched] = [this.prefetched, this.opts.pageSize, null];
        } else rows = await this.sink.fetchAfter(this.lastSent, want);
        // Paced frame by frame, not page by page: a page of large messages can be megabytes,
        // more than the send buffer a reader is allowed before it counts as too slow.
        for (const e of rows) {
          if (this.closed) return;
          if (e.eventSeq === this.lastSent + 1) {
            this.send(e);
            await this.sink.writable();
          } else if (e.eventSeq > this.lastSent) this.pending.set(e.eventSeq, e);
        }
        // Live events that arrived meanwhile and are now next in line go out in order too.
        for (;;) {
          const next = this.pending.get(this.lastSent + 1);
          if (!next || this.closed) break;
          this.pending.delete(next.eventSeq);
          this.send(next);
          await this.sink.writable();
        }
        if (rows.length < want) break;
      }
    } finally {
      this.fetching = false;
    }
  }
}
