import { Injectable } from '@nestjs/common';
import type { RoomEvent } from '../../common/events/chat-events.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { AttachmentUrls } from '../attachments/attachment-urls.js';
import { assertCanAccess, type Room } from '../rooms/domain/room.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { checkEventCursor, checkRetained } from './domain/room-event-cursor.js';
import { RoomEventRepository } from './domain/room-event.repository.js';

/** A room's log of events, for members catching up (REST) and subscriptions (replay, gaps). */
@Injectable()
export class RoomEventsService {
  constructor(
    private readonly events: RoomEventRepository,
    private readonly rooms: RoomsService,
    private readonly urls: AttachmentUrls,
  ) {}

  async list(
    caller: { userId: string },
    roomId: string,
    afterEventSeq: number,
    limit = DEFAULT_LIMIT,
  ): Promise<Page<RoomEvent>> {
    const { events } = await this.readAsMember(caller.userId, roomId, afterEventSeq, limit + 1);
    // message.new events as served: their attachments get fresh download URLs.
    const items = events.slice(0, limit).map((e) => this.urls.presentEvent(e));
    return {
      items,
      nextCursor: events.length > limit ? String(items[items.length - 1].eventSeq) : null,
    };
  }

  /** For replay and gap filling: the events after a position, in order (no access rules). */
  async since(roomId: string, afterEventSeq: number, limit: number): Promise<RoomEvent[]> {
    const rows = await this.events.findAfter(roomId, afterEventSeq, limit);
    // A sweep between the subscriber's check and this read: RESYNC_REQUIRED, not a hole.
    if (rows.length > 0) checkRetained(afterEventSeq, rows[0].eventSeq, 'afterEventSeq');
    return rows;
  }

  /**
   * A resume (room.subscribe) from a client's last position: the room (members only; its
   * position starts the subscription) and RESYNC_REQUIRED when what comes next is no longer
   * kept (retention). Behind by afterEventSeq: the replay's first page (up to `pageSize` events)
   * is read in the same statement as the access check; its first event says whether the cursor
   * is still kept, and it is returned for the replay to start with (one round trip for all).
   * Behind by afterSeq: one primary key probe of the messages' head after the check.
   */
  async resume(
    userId: string,
    roomId: string,
    from: { afterSeq?: number; afterEventSeq?: number },
    pageSize: number,
  ): Promise<{ room: Room; firstPage?: RoomEvent[] }> {
    const { afterSeq, afterEventSeq } = from;
    if (afterEventSeq !== undefined) {
      const { room, events } = await this.readAsMember(userId, roomId, afterEventSeq, pageSize);
      return { room, firstPage: afterEventSeq < room.lastEventSeq ? events : undefined };
    }
    const { room } = await this.rooms.requireMember(userId, roomId);
    if (afterSeq !== undefined && afterSeq < room.lastSeq) {
      const fromSeq = await this.events.retainedFromSeq(roomId);
      // null: the room is gone since the check; the subscription finds out on its own.
      if (fromSeq !== null) checkRetained(afterSeq, fromSeq, 'afterSeq');
    }
    return { room };
  }

  /**
   * A member's read of the log after a cursor, with the access check in the same statement.
   * Errors as requireMember, then checkEventCursor, then checkRetained answer them (a cursor
   * that is not a non-negative integer is refused before the log is read).
   */
  private async readAsMember(
    userId: string,
    roomId: string,
    afterEventSeq: number,
    limit: number,
  ): Promise<{ room: Room; events: RoomEvent[] }> {
    if (!Number.isSafeInteger(afterEventSeq) || afterEventSeq < 0) {
      const { room } = await this.rooms.requireMember(userId, roomId);
      checkEventCursor(afterEventSeq, room.lastEventSeq); // throws
    }
    const found = await this.events.findAfterAsMember(roomId, userId, afterEventSeq, limit);
    assertCanAccess(found?.room ?? null, found?.membership ?? null);
    const { room, events } = found!;
    checkEventCursor(afterEventSeq, room.lastEventSeq);
    // The log has no gaps but the one retention leaves at its head: an event missing right
    // after the cursor was deleted, and the client must reload rather than skip it.
    checkRetained(
      afterEventSeq,
      events.length > 0 ? events[0].eventSeq : room.lastEventSeq + 1,
      'afterEventSeq',
    );
    return { room, events };
  }

  /** For the v1 replay: where each message with seq in [fromSeq, toSeq] entered the log. */
  async messageEventSeqs(
    roomId: string,
    fromSeq: number,
    toSeq: number,
  ): Promise<Map<number, number>> {
    return this.events.messageEventSeqs(roomId, fromSeq, toSeq);
  }
}
