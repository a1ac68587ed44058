import type { Message } from '../../messages/domain/message.js';
import type { SearchPosition } from './search-cursor.js';
import type { SearchTerm } from './search-query.js';

export interface SearchRequest {
  userId: string;
  terms: SearchTerm[];
  /** Only this room (the caller's membership is checked before). */
  roomId: string | null;
  limit: number;
  after: SearchPosition | null;
}

export interface SearchHits {
  /** Newest first: (createdAt, roomId, seq) descending. */
  items: Message[];
  /** The last item's position when more may follow. */
  next: SearchPosition | null;
}

/** Persistence port for message search. */
export abstract class MessageSearchRepository {
  /**
   * Messages having every term, live (never a tombstone), in rooms the user is a member of at
   * the moment of the read, newest first, after `after`.
   */
  abstract search(req: SearchRequest): Promise<SearchHits>;
}
