import { describe, expect, it } from '@jest/globals';
import { Errors } from '../../common/errors/domain-error.js';
import type { AttachmentUrls } from '../attachments/attachment-urls.js';
import type { Message } from '../messages/domain/message.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import {
  MessageSearchRepository,
  type SearchHits,
  type SearchRequest,
} from './domain/message-search.repository.js';
import { findHits } from './domain/search-query.js';
import { SearchService } from './search.service.js';

const R1 = '00000000-0000-4000-8000-000000000001';
const R2 = '00000000-0000-4000-8000-000000000002';
const R3 = '00000000-0000-4000-8000-000000000003';
const ME = '00000000-0000-4000-8000-00000000000a';

interface Row {
  message: Message;
  createdAt: string; // microseconds, as the database keeps it
}

/** The port's meaning, in memory: members' rooms now, live messages, every term, newest first. */
class InMemorySearch extends MessageSearchRepository {
  rows: Row[] = [];
  members = new Map<string, Set<string>>(); // roomId → userIds
  requests: SearchRequest[] = [];

  search(req: SearchRequest): Promise<SearchHits> {
    this.requests.push(req);
    const key = (r: Row) => [r.createdAt, r.message.roomId, r.message.seq] as const;
    const before = (a: readonly [string, string, number], b: readonly [string, string, number]) =>
      a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];
    const hits = this.rows
      .filter((r) => this.members.get(r.message.roomId)?.has(req.userId))
      .filter((r) => req.roomId === null || r.message.roomId === req.roomId)
      .filter((r) => !r.message.deleted)
      .filter((r) => req.terms.every((t) => findHits(r.message.content, [t]).length > 0))
      .filter(
        (r) =>
          !req.after ||
          before(key(r), [req.after.createdAt, req.after.roomId, req.after.seq] as const),
      )
      .sort((a, b) => (before(key(a), key(b)) ? 1 : -1));
    const page = hits.slice(0, req.limit);
    const last = page[page.length - 1];
    return Promise.resolve({
      items: page.map((r) => r.message),
      next:
        hits.length > req.limit && last
          ? { createdAt: last.createdAt, roomId: last.message.roomId, seq: last.message.seq }
          : null,
    });
  }
}

function setup() {
  const repo = new InMemorySearch();
  const asserted: [string, string][] = [];
  const rooms = {
    assertMember: (userId: string, roomId: string) => {
      asserted.push([userId, roomId]);
      if (!repo.members.get(roomId)?.has(userId))
        return Promise.reject(Errors.notFound('ROOM_NOT_FOUND', 'room not found'));
      return Promise.resolve();
    },
  } as unknown as RoomsService;
  let n = 0;
  const add = (roomId: string, content: string, extra: Partial<Message> = {}) => {
    n++;
    const message = {
      id: `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`,
      roomId,
      seq: n,
      userId: ME,
      username: 'me',
      content,
      type: 'text',
      deleted: false,
      ...extra,
    } as Message;
    repo.rows.push({
      message,
      createdAt: `2026-12-06T00:00:${String(n).padStart(2, '0')}.000000Z`,
    });
    return message;
  };
  repo.members.set(R1, new Set([ME]));
  repo.members.set(R2, new Set([ME]));
  repo.members.set(R3, new Set());
  // Download URLs are AttachmentUrls' job (its own tests); here messages pass as they are.
  const urls = { present: (m: Message) => m } as unknown as AttachmentUrls;
  return { svc: new SearchService(repo, rooms, urls), repo, add, asserted };
}

describe('SearchService', () => {
  it('answers hits newest first with a highlight, in the caller’s rooms only', async () => {
    const { svc, add } = setup();
    add(R1, 'deploy at noon');
    add(R3, 'deploy elsewhere');
    add(R2, 'no');
    const newest = add(R2, 'Redeploy done');
    const page = await svc.searchMessages(ME, { q: 'deploy' });
    expect(page.items.map((h) => h.message.content)).toEqual(['Redeploy done', 'deploy at noon']);
    expect(page.items[0].message).toBe(newest);
    expect(page.items[0].highlight).toEqual({
      text: 'Redeploy done',
      ranges: [{ start: 2, end: 8 }],
    });
    expect(page.nextCursor).toBeNull();
  });

  it('pages with its cursor: no duplicates, no gaps', async () => {
    const { svc, add } = setup();
    for (let i = 0; i < 7; i++) add(i % 2 ? R1 : R2, `hit ${i}`);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await svc.searchMessages(ME, { q: 'hit', limit: 3, cursor });
      seen.push(...page.items.map((h) => h.message.content));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['hit 6', 'hit 5', 'hit 4', 'hit 3', 'hit 2', 'hit 1', 'hit 0']);
  });

  it('asks the room for its membership only when a room is named, and filters by it', async () => {
    const { svc, add, asserted, repo } = setup();
    add(R1, 'alpha one');
    add(R2, 'alpha two');
    const page = await svc.searchMessages(ME, { q: 'alpha', roomId: R2 });
    expect(asserted).toEqual([[ME, R2]]);
    expect(page.items.map((h) => h.message.content)).toEqual(['alpha two']);
    await svc.searchMessages(ME, { q: 'alpha' });
    expect(asserted).toHaveLength(1);
    expect(repo.requests.map((r) => r.roomId)).toEqual([R2, null]);
    await expect(svc.searchMessages(ME, { q: 'alpha', roomId: R3 })).rejects.toMatchObject({
      code: 'ROOM_NOT_FOUND',
    });
  });

  it('uses the default page size of 50', async () => {
    const { svc, repo } = setup();
    await svc.searchMessages(ME, { q: 'x y' });
    expect(repo.requests[0].limit).toBe(50);
  });

  it('refuses bad input before reading anything', async () => {
    const { svc, repo, asserted } = setup();
    for (const [input, code] of [
      [{ q: '' }, 'SEARCH_QUERY_LENGTH'],
      [{ q: '&|!()*:' }, 'SEARCH_QUERY_NO_TERMS'],
      [{ q: 'ok', cursor: 'nope' }, 'VALIDATION_FAILED'],
    ] as const)
      await expect(svc.searchMessages(ME, { ...input, roomId: R1 })).rejects.toMatchObject({
        code,
      });
    expect(repo.requests).toEqual([]);
    expect(asserted).toEqual([]);
  });

  it('never answers a deleted message', async () => {
    const { svc, add } = setup();
    add(R1, 'secret plan', { deleted: true });
    expect((await svc.searchMessages(ME, { q: 'secret' })).items).toEqual([]);
  });
});
