// One socket's subscription to one room: it hands messages to the socket strictly in seq order,
// exactly once. Framework-free so the ordering rules can be tested in isolation.
//
// - Subscribing with afterSeq replays seq > afterSeq from the database while live events are
//   held back; live delivery starts where the replay ended, so the switch has no gap and no
//   duplicate.
// - Live events may arrive out of seq order (two instances commit 5 and 6, publish 6 first) or
//   twice (a redelivered bus record). Anything <= lastSent is dropped; a later seq waits until the
//   gap fills, and if it does not within `gapFillMs`, the missing ones are read from the database.
import type { MessageView } from '../../../common/events/chat-events.js';

export interface SubscriptionSink {
  /** Writes one message.new frame; false when the socket is gone. */
  deliver(message: MessageView): boolean;
  /** Messages with seq > afterSeq, ascending, at most `limit`. */
  fetchAfter(afterSeq: number, limit: number): Promise<MessageView[]>;
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
  /** Hold at most this many out-of-order messages before forcing a database catch-up. */
  maxPending?: number;
}

export class RoomSubscription {
  /** Highest seq sent; -1 until `start` gives the position (events are held back until then). */
  private lastSent = -1;
  private replaying = true;
  private fetching = false;
  private closed = false;
  private readonly pending = new Map<number, MessageView>();
  private gapTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly roomId: string,
    private readonly sink: SubscriptionSink,
    private readonly opts: SubscriptionOptions,
  ) {}

  get position(): number {
    return this.lastSent;
  }

  get isLive(): boolean {
    return !this.replaying;
  }

  /** A live event from the bus. */
  offer(message: MessageView): void {
    if (this.closed || message.seq <= this.lastSent) return;
    if (this.replaying || this.fetching || message.seq !== this.lastSent + 1) {
      this.pending.set(message.seq, message);
      if (!this.replaying && !this.fetching) this.scheduleGapFill();
      return;
    }
    this.send(message);
    this.drain();
  }

  /**
   * Sends everything with seq > afterSeq from the database, then switches to live delivery.
   * Live events offered before or during this are held back and merged in order.
   */
  async start(afterSeq: number): Promise<void> {
    this.lastSent = afterSeq;
    try {
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

  private send(message: MessageView): void {
    if (this.closed) return;
    if (!this.sink.deliver(message)) {
      this.close();
      return;
    }
    this.lastSent = message.seq;
  }

  /** Sends held-back messages that are next in line; schedules a gap fill if a hole remains. */
  private drain(): void {
    for (;;) {
      const next = this.pending.get(this.lastSent + 1);
      if (!next || this.closed) break;
      this.pending.delete(next.seq);
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

  /** Reads from the database until lastSent reaches `target` or the room has nothing more. */
  private async catchUp(target: number): Promise<void> {
    this.fetching = true;
    try {
      while (!this.closed && this.lastSent < target) {
        const want = Math.min(this.opts.pageSize, target - this.lastSent);
        const rows = await this.sink.fetchAfter(this.lastSent, want);
        // Paced frame by frame, not page by page: a page of large messages can be megabytes,
        // more than the send buffer a reader is allowed before it counts as too slow.
        for (const m of rows) {
          if (this.closed) return;
          if (m.seq === this.lastSent + 1) {
            this.send(m);
            await this.sink.writable();
          } else if (m.seq > this.lastSent) this.pending.set(m.seq, m);
        }
        // Live events that arrived meanwhile and are now next in line go out in order too.
        for (;;) {
          const next = this.pending.get(this.lastSent + 1);
          if (!next || this.closed) break;
          this.pending.delete(next.seq);
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
