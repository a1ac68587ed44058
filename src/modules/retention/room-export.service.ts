import { Injectable } from '@nestjs/common';
import { assertOwner } from '../rooms/domain/room.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { RoomExportRepository, type ExportPage } from './domain/room-export.repository.js';

/** Messages per read: a few hundred rows, a bounded chunk whatever the room's size. */
export const EXPORT_PAGE = 500;

/**
 * A room's export (GET /api/rooms/:id/export, the owner only): its messages as NDJSON, oldest
 * first, as they are now (edits applied; a deleted message is its tombstone, `deleted: true`
 * and content "", as in history). The messages up to the room's lastSeq when the export
 * starts; later ones are not part of it. Chunks are produced a page at a time as the reader
 * asks for them (one page read ahead), so memory does not grow with the room.
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

  /**
   * One page read ahead: the next page's query runs while the current one is written, so the
   * database and the socket work at once (at most two pages in memory).
   */
  private async *chunks(roomId: string, readerId: string, uptoSeq: number): AsyncGenerator<string> {
    const read = (afterSeq: number) =>
      this.repo.pageAfter({ roomId, readerId, afterSeq, uptoSeq, limit: EXPORT_PAGE });
    let ahead: Promise<ExportPage | null> | null = read(0);
    try {
      while (ahead) {
        const page = await ahead;
        ahead = null;
        if (!page) return;
        if (page.lines.length === EXPORT_PAGE) ahead = read(page.lastSeq);
        yield page.lines.join('\n') + '\n';
      }
    } finally {
      // A reader that stopped early: the page read ahead is dropped, its failure too.
      if (ahead) ahead.catch(() => undefined);
    }
  }
}
