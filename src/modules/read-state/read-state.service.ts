import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { decodeTimeIdCursor, encodeCursor } from '../../common/cursor.js';
import type { MessageView } from '../../common/events/chat-events.js';
import { EventBus } from '../../common/events/event-bus.js';
import { ChatExtensions, type MessageObserver } from '../../common/extensions/chat-extensions.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { checkReadSeq, type ReadState } from './domain/read-marker.js';
import { ReadStateRepository, type RoomListItem } from './domain/read-state.repository.js';

/**
 * Read markers and the room list. A marker moves by `room.read` / POST …/read, and by the
 * member's own send (in the send's transaction, by the database); whenever it moves, every
 * socket of that user on every instance gets read.updated through the bus.
 */
@Injectable()
export class ReadStateService implements OnModuleInit, MessageObserver {
  readonly name = 'read-state';
  private readonly log = new Logger('ReadStateService');
  /** (room, author) pairs whose marker a send moved, announced once per event-loop turn. */
  private readonly ownSends = new Map<string, { roomId: string; userId: string }>();
  private flushScheduled = false;

  constructor(
    private readonly repo: ReadStateRepository,
    private readonly rooms: RoomsService,
    private readonly bus: EventBus,
    private readonly ext: ChatExtensions,
  ) {}

  onModuleInit(): void {
    this.ext.addMessageObserver(this);
  }

  /** Sets the caller's marker to max(marker, min(seq, lastSeq)); the new state if it moved. */
  async markRead(userId: string, roomId: string, seq: unknown): Promise<ReadState | null> {
    checkReadSeq(seq);
    await this.rooms.assertMember(userId, roomId);
    const state = await this.repo.advance(roomId, userId, seq);
    if (state) await this.announce(userId, state);
    return state;
  }

  /**
   * A stored message moved its author's marker (the database did it in the same statement).
   * The authors of one event-loop turn's messages are read in one statement, each (user, room)
   * once, as the sends themselves are stored in one: no read per message on the send path.
   */
  stored(message: MessageView): Promise<void> {
    const key = `${message.roomId}:${message.userId}`;
    if (!this.ownSends.has(key))
      this.ownSends.set(key, { roomId: message.roomId, userId: message.userId });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => void this.flushOwnSends());
    }
    return Promise.resolve();
  }

  private async flushOwnSends(): Promise<void> {
    this.flushScheduled = false;
    const pairs = [...this.ownSends.values()];
    this.ownSends.clear();
    try {
      const states = await this.repo.statesOf(pairs);
      await Promise.all(states.map(({ userId, ...s }) => this.announce(userId, s)));
    } catch (err) {
      this.log.error({ err: String(err) }, 'announcing read markers after sends failed');
    }
  }

  async listRooms(
    userId: string,
    limit = DEFAULT_LIMIT,
    cursor?: string,
  ): Promise<Page<RoomListItem>> {
    const after = cursor ? decodeTimeIdCursor(cursor) : null;
    const page = await this.repo.listRooms(userId, limit, after);
    return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  private announce(userId: string, s: ReadState): Promise<void> {
    return this.bus.publish({
      type: 'read.updated',
      userId,
      roomId: s.roomId,
      lastReadSeq: s.lastReadSeq,
      unreadCount: s.unreadCount,
      mentionCount: s.mentionCount,
    });
  }
}
