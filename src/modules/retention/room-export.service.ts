import { Injectable } from '@nestjs/common';
import { assertOwner } from '../rooms/domain/room.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { RoomExportRepository } from './domain/room-export.repository.js';

/** Messages per read: a few hundred rows, a bounded chunk whatever the room's size. */
export const EXPORT_PAGE = 500;

/**
 * A room's export (GET /api/rooms/:id/export, the owner only): its messages as NDJSON, oldest
 * first, as they are now (edits applied; a deleted message is its tombstone, `deleted: true`
 * and content "", as in history). The messages up to the room's lastSeq when the export
 * starts; later ones are not part of it. Chunks are produced one page at a time, when the
 * reader asks for the next, so memory does not grow with the room.
 */
@Injectable()
export class RoomExportService {
  constructor(
    private readonly rooms: RoomsService,
    private readonly repo: RoomExportRepository,
  ) {}

  /** Checks the caller may export the room (before anything is sent), then gives the chunks. */
  async open(caller: { userId: string }, roomId: string): Promise<AsyncIterable<string>> {
    const { room } = await this.rooms.requireMember(caller.userId, roomId);
    assertOwner(room, caller.userId);
    return this.chunks(roomId, caller.userId, room.lastSeq);
  }

  private async *chunks(roomId: string, readerId: string, uptoSeq: number): AsyncGenerator<string> {
    let afterSeq = 0;
    for (;;) {
      const page = await this.repo.pageAfter({
        roomId,
        readerId,
        afterSeq,
        uptoSeq,
        limit: EXPORT_PAGE,
      });
      if (!page) return;
      yield page.lines.join('\n') + '\n';
      if (page.lines.length < EXPORT_PAGE) return;
      afterSeq = page.lastSeq;
    }
  }
}
