import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Errors } from '../../common/errors/domain-error.js';
import {
  ChatExtensions,
  type SendAttempt,
  type SendAuthor,
  type SendPolicy,
} from '../../common/extensions/chat-extensions.js';
import { MuteRepository } from './domain/admin.repository.js';
import { MuteIndex } from './domain/mute-index.js';

/** How stale an instance's view of the mutes may get (a mute set on another instance). */
export const MUTE_INDEX_TTL_MS = 1000;

/**
 * Refuses sends by a user muted in the room (403 MUTED; on WS an error frame with the
 * clientMsgId as ref). The check is a map lookup: each instance keeps the mutes in force in
 * memory, reloaded (one query) at most once a second when sends need it, and at once after a
 * mute is set or lifted on this instance.
 */
@Injectable()
export class MuteEnforcer implements SendPolicy, OnModuleInit {
  readonly name = 'admin.mute';
  private index = MuteIndex.empty();
  private loading: Promise<MuteIndex> | null = null;

  constructor(
    private readonly ext: ChatExtensions,
    private readonly mutes: MuteRepository,
  ) {}

  onModuleInit(): void {
    this.ext.addSendPolicy(this);
  }

  async check(attempt: SendAttempt, author: SendAuthor): Promise<void> {
    const now = Date.now();
    const index = this.index.isFresh(now, MUTE_INDEX_TTL_MS) ? this.index : await this.reload();
    // The author settled so far, and who asked to send: whatever order the policies run in
    // (the proxy module may resolve onBehalfOf after this one), a muted user posts nothing.
    const who = [author.userId, attempt.onBehalfOf, attempt.actorId];
    for (const userId of who) {
      if (!userId) continue;
      const until = index.mutedUntil(attempt.roomId, userId, now);
      if (until !== null)
        throw Errors.forbidden(
          'MUTED',
          `${userId === attempt.actorId ? 'you are' : 'the author is'} muted in this room until ${new Date(until).toISOString()}`,
        );
    }
  }

  /** A mute was set or lifted here: the next send reads the mutes afresh. */
  invalidate(): void {
    this.index = MuteIndex.empty();
    this.loading = null;
  }

  private reload(): Promise<MuteIndex> {
    if (this.loading) return this.loading;
    const startedAt = Date.now();
    const p: Promise<MuteIndex> = this.mutes
      .active()
      .then((list) => {
        const index = new MuteIndex(list, startedAt);
        // Not if invalidated meanwhile: this read may predate the change.
        if (this.loading === p) this.index = index;
        return index;
      })
      .finally(() => {
        if (this.loading === p) this.loading = null;
      });
    this.loading = p;
    return p;
  }
}
