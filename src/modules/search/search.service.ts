import { Injectable } from '@nestjs/common';
import { DEFAULT_LIMIT, type Page } from '../../common/http/pagination.js';
import type { Message } from '../messages/domain/message.js';
import { AttachmentUrls } from '../attachments/attachment-urls.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { MessageSearchRepository } from './domain/message-search.repository.js';
import { decodeSearchCursor, encodeSearchCursor } from './domain/search-cursor.js';
import { highlight, parseSearchQuery, type Highlight } from './domain/search-query.js';

export interface SearchHit {
  message: Message;
  highlight: Highlight;
}

export interface SearchInput {
  q?: unknown;
  roomId?: string;
  limit?: number;
  cursor?: string;
}

/**
 * Message search (GET /api/search/messages). Reads only: the messages' own indexes are kept by
 * PostgreSQL in the statements that send, edit and delete, so nothing here runs on those paths
 * and a message is findable as soon as its send is acknowledged, on every instance.
 */
@Injectable()
export class SearchService {
  constructor(
    private readonly repo: MessageSearchRepository,
    private readonly rooms: RoomsService,
    private readonly urls: AttachmentUrls,
  ) {}

  async searchMessages(userId: string, input: SearchInput): Promise<Page<SearchHit>> {
    const terms = parseSearchQuery(input.q);
    const after = input.cursor !== undefined ? decodeSearchCursor(input.cursor) : null;
    // A named room answers like the room's own routes when the caller may not read it.
    if (input.roomId !== undefined) await this.rooms.assertMember(userId, input.roomId);
    const page = await this.repo.search({
      userId,
      terms,
      roomId: input.roomId ?? null,
      limit: input.limit ?? DEFAULT_LIMIT,
      after,
    });
    return {
      items: page.items.map((message) => ({
        message: this.urls.present(message),
        highlight: highlight(message.content, terms),
      })),
      nextCursor: page.next ? encodeSearchCursor(page.next) : null,
    };
  }
}
