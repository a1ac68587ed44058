import { Injectable } from '@nestjs/common';
import type { RoomEvent } from '../../common/events/chat-events.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { AttachmentUrls } from '../attachments/attachment-urls.js';
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
    const { room } = await this.rooms.requireMember(caller.userId, roomId);
    checkEventCursor(afterEventSeq, room.lastEventSeq);
    const rows = await this.events.findAfter(roomId, afterEventSeq, limit + 1);
    // The log has no gaps but the one retention leaves at its head: an event missing right
    // after the cursor was deleted, and the client must reload rather than skip it.
    checkRetained(
      afterEventSeq,
      rows.length > 0 ? rows[0].eventSeq : room.lastEventSeq + 1,
      'afterEventSeq',
    );
    // message.new events as served: their attachments get fresh download URLs.
    const items = rows.slice(0, limit).map((e) => this.urls.presentEvent(e));
    return {
      items,
      nextCursor: rows.length > limit ? String(items[items.length - 1].eventSeq) : null,
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
   * A resume (room.subscribe) from a client's last position: RESYNC_REQUIRED when what comes
   * next is no longer kept (retention). Free when the client is up to date. Behind by
   * afterEventSeq: the replay's first page (up to `pageSize` events) is read now, its first
   * event says whether the cursor is still kept, and it is returned for the replay to start
   * with (one read for both). Behind by afterSeq: one primary key probe of the messages' head.
   */
  async checkResume(
    roomId: string,
    room: { lastSeq: number; lastEventSeq: number },
    from: { afterSeq?: number; afterEventSeq?: number },
    pageSize: number,
  ): Promise<RoomEvent[] | undefined> {
    const { afterSeq, afterEventSeq } = from;
    if (afterEventSeq !== undefined && afterEventSeq < room.lastEventSeq) {
      const page = await this.events.findAfter(roomId, afterEventSeq, pageSize);
      // Nothing after the cursor although the room is past it: swept too.
      checkRetained(
        afterEventSeq,
        page.length > 0 ? page[0].eventSeq : room.lastEventSeq + 1,
        'afterEventSeq',
      );
      return page;
    }
    if (afterSeq === undefined || afterSeq >= room.lastSeq) return undefined;
    const fromSeq = await this.events.retainedFromSeq(roomId);
    // null: the room is gone; the membership check answers that.
    if (fromSeq !== null) checkRetained(afterSeq, fromSeq, 'afterSeq');
    return undefined;
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
