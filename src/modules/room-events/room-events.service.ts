import { Injectable } from '@nestjs/common';
import type { RoomEvent } from '../../common/events/chat-events.js';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import { AttachmentUrls } from '../attachments/attachment-urls.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { checkEventCursor } from './domain/room-event-cursor.js';
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
    // message.new events as served: their attachments get fresh download URLs.
    const items = rows.slice(0, limit).map((e) => this.urls.presentEvent(e));
    return {
      items,
      nextCursor: rows.length > limit ? String(items[items.length - 1].eventSeq) : null,
    };
  }

  /** For replay and gap filling: the events after a position, in order (no access rules). */
  async since(roomId: string, afterEventSeq: number, limit: number): Promise<RoomEvent[]> {
    return this.events.findAfter(roomId, afterEventSeq, limit);
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
