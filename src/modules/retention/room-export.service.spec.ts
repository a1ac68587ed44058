import { describe, expect, it } from '@jest/globals';
import { DomainError, Errors } from '../../common/errors/domain-error.js';
import type { Room } from '../rooms/domain/room.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import { RoomExportRepository, type ExportPage } from './domain/room-export.repository.js';
import { EXPORT_PAGE, RoomExportService } from './room-export.service.js';

const OWNER = 'owner';

/** The port's meaning, in memory: seqs in (afterSeq, uptoSeq], at most `limit`, in order. */
class InMemoryExport extends RoomExportRepository {
  seqs: number[] = [];
  reads = 0;

  pageAfter(input: {
    afterSeq: number;
    uptoSeq: number;
    limit: number;
  }): Promise<ExportPage | null> {
    this.reads++;
    const page = this.seqs
      .filter((s) => s > input.afterSeq && s <= input.uptoSeq)
      .slice(0, input.limit);
    if (page.length === 0) return Promise.resolve(null);
    return Promise.resolve({
      lines: page.map((s) => JSON.stringify({ seq: s })),
      lastSeq: page[page.length - 1],
    });
  }
}

function setup(lastSeq: number) {
  const repo = new InMemoryExport();
  const room = { id: 'r', ownerId: OWNER, lastSeq } as Room;
  const rooms = {
    requireMember: (userId: string) =>
      userId === 'stranger'
        ? Promise.reject(Errors.forbidden('NOT_ROOM_MEMBER', 'no'))
        : Promise.resolve({ room, membership: {} }),
  } as unknown as RoomsService;
  return { repo, service: new RoomExportService(rooms, repo) };
}

async function collect(chunks: AsyncIterable<string>): Promise<number[]> {
  const out: number[] = [];
  for await (const c of chunks) {
    expect(c.endsWith('\n')).toBe(true);
    for (const l of c.split('\n').filter(Boolean)) out.push((JSON.parse(l) as { seq: number }).seq);
  }
  return out;
}

describe('RoomExportService', () => {
  it("gives the room's messages oldest first, a page per chunk, up to lastSeq at the start", async () => {
    const { repo, service } = setup(1200);
    repo.seqs = Array.from({ length: 1300 }, (_, i) => i + 1); // 100 sent after the start
    const seqs = await collect(await service.open({ userId: OWNER }, 'r'));
    expect(seqs).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
    expect(repo.reads).toBe(Math.ceil(1200 / EXPORT_PAGE) + (1200 % EXPORT_PAGE === 0 ? 1 : 0));
  });

  it('starts where retention left the room', async () => {
    const { repo, service } = setup(10);
    repo.seqs = [7, 8, 9, 10];
    expect(await collect(await service.open({ userId: OWNER }, 'r'))).toEqual([7, 8, 9, 10]);
  });

  it('reads nothing until asked, then at most one page ahead: a reader that stops early stops the reads', async () => {
    const { repo, service } = setup(5000);
    repo.seqs = Array.from({ length: 5000 }, (_, i) => i + 1);
    const chunks = await service.open({ userId: OWNER }, 'r');
    expect(repo.reads).toBe(0);
    for await (const _ of chunks) break;
    expect(repo.reads).toBe(2);
  });

  it('a page read ahead that fails after the reader left is dropped quietly', async () => {
    const { repo, service } = setup(5000);
    repo.seqs = Array.from({ length: 5000 }, (_, i) => i + 1);
    const original = repo.pageAfter.bind(repo);
    repo.pageAfter = (input) =>
      input.afterSeq === 0 ? original(input) : Promise.reject(new Error('connection lost'));
    const chunks = await service.open({ userId: OWNER }, 'r');
    for await (const _ of chunks) break; // an unhandled rejection would fail the test run
    await new Promise((r) => setImmediate(r));
  });

  it('refuses a member who is not the owner, and whoever may not see the room, before any read', async () => {
    const { repo, service } = setup(3);
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => (e instanceof DomainError ? e.code : 'other'),
      );
    expect(await codeOf(service.open({ userId: 'member' }, 'r'))).toBe('NOT_ROOM_OWNER');
    expect(await codeOf(service.open({ userId: 'stranger' }, 'r'))).toBe('NOT_ROOM_MEMBER');
    expect(repo.reads).toBe(0);
  });
});
