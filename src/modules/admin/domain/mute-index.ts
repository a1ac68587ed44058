// An instance's in-memory view of the mutes in force, so the per-send check is a map lookup.
// Framework-free.
import { isMuteActive } from './sanction.js';

export interface ActiveMute {
  roomId: string;
  userId: string;
  untilMs: number;
}

/**
 * The mutes in force as of `loadedAt`. Stale after `ttlMs` (the caller reloads it); a mute
 * whose end passes while it is loaded stops counting at once.
 */
export class MuteIndex {
  private readonly byRoom = new Map<string, Map<string, number>>();

  constructor(
    mutes: ActiveMute[],
    readonly loadedAt: number,
  ) {
    for (const m of mutes) {
      let room = this.byRoom.get(m.roomId);
      if (!room) this.byRoom.set(m.roomId, (room = new Map<string, number>()));
      room.set(m.userId, m.untilMs);
    }
  }

  static empty(): MuteIndex {
    return new MuteIndex([], Number.NEGATIVE_INFINITY);
  }

  isFresh(now: number, ttlMs: number): boolean {
    return now - this.loadedAt < ttlMs;
  }

  /** When the user's mute in the room ends, or null when they are not muted there now. */
  mutedUntil(roomId: string, userId: string, now: number): number | null {
    const until = this.byRoom.get(roomId)?.get(userId);
    return until !== undefined && isMuteActive(until, now) ? until : null;
  }
}
