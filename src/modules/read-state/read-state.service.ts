import { Injectable, type OnModuleInit } from '@nestjs/common';
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

  /** A stored message moved its author's marker (the database did it in the same statement). */
  async stored(message: MessageView): Promise<void> {
    const state = await this.repo.stateOf(message.roomId, message.userId);
    if (state) await this.announce(message.userId, state);
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
