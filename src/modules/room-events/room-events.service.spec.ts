import { describe, expect, it } from '@jest/globals';
import type { RoomEvent } from '../../common/events/chat-events.js';
import { DomainError } from '../../common/errors/domain-error.js';
import type { AttachmentUrls } from '../attachments/attachment-urls.js';
import { assertCanAccess, type Membership, type Room } from '../rooms/domain/room.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import { RoomEventRepository } from './domain/room-event.repository.js';
import { RoomEventsService } from './room-events.service.js';

const MEMBER = 'member';
const ROOM = 'room-1';

/** The port's meaning, in memory: one room whose log keeps events from `keptFrom` on. */
class InMemoryLog extends RoomEventRepository {
  lastEventSeq = 0;
  lastSeq = 0;
  keptFrom = 1;
  reads: string[] = [];

  private room(): Room {
    return {
      id: ROOM,
      isPrivate: true,
      orgId: null,
      lastSeq: this.lastSeq,
      lastEventSeq: this.lastEventSeq,
    } as Room;
  }

  private events(after: number, limit: number): RoomEvent[] {
    const out: RoomEvent[] = [];
    for (
      let s = Math.max(after + 1, this.keptFrom);
      s <= this.lastEventSeq && out.length < limit;
      s++
    )
      out.push({ eventSeq: s, event: 'message.new', data: {}, createdAt: 'now' } as RoomEvent);
    return out;
  }

  member(userId: string): Membership | null {
    return userId === MEMBER ? ({ roomId: ROOM, userId } as Membership) : null;
  }

  findAfter(_roomId: string, afterEventSeq: number, limit: number): Promise<RoomEvent[]> {
    this.reads.push('findAfter');
    return Promise.resolve(this.events(afterEventSeq, limit));
  }

  findAfterAsMember(roomId: string, userId: string, afterEventSeq: number, limit: number) {
    this.reads.push('findAfterAsMember');
    if (roomId !== ROOM) return Promise.resolve(null);
    const membership = this.member(userId);
    return Promise.resolve({
      room: this.room(),
      membership,
      events: membership ? this.events(afterEventSeq, limit) : [],
    });
  }

  messageEventSeqs(): Promise<Map<number, number>> {
    return Promise.resolve(new Map());
  }

  retainedFromSeq(roomId: string): Promise<number | null> {
    this.reads.push('retainedFromSeq');
    return Promise.resolve(roomId === ROOM ? this.keptFrom : null);
  }

  /** What RoomsService.requireMember answers over this room. */
  requireMember(userId: string, roomId: string) {
    this.reads.push('requireMember');
    const room = roomId === ROOM ? this.room() : null;
    const membership = this.member(userId);
    assertCanAccess(room, membership);
    return Promise.resolve({ room, membership });
  }
}

function setup(lastEventSeq: number, keptFrom = 1) {
  const log = new InMemoryLog();
  log.lastEventSeq = lastEventSeq;
  log.lastSeq = lastEventSeq;
  log.keptFrom = keptFrom;
  const rooms = {
    requireMember: (u: string, r: string) => log.requireMember(u, r),
  } as unknown as RoomsService;
  const urls = { presentEvent: (e: RoomEvent) => e } as unknown as AttachmentUrls;
  return { log, service: new RoomEventsService(log, rooms, urls) };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('RoomEventsService.resume', () => {
  it('behind by afterEventSeq: the access check and the first page in one read', async () => {
    const { log, service } = setup(10);
    const { room, firstPage } = await service.resume(MEMBER, ROOM, { afterEventSeq: 4 }, 3);
    expect(room.lastEventSeq).toBe(10);
    expect(firstPage?.map((e) => e.eventSeq)).toEqual([5, 6, 7]);
    expect(log.reads).toEqual(['findAfterAsMember']);
  });

  it('up to date: no first page, still one read', async () => {
    const { log, service } = setup(10);
    expect((await service.resume(MEMBER, ROOM, { afterEventSeq: 10 }, 3)).firstPage).toBe(
      undefined,
    );
    expect(log.reads).toEqual(['findAfterAsMember']);
  });

  it('refuses a stranger, a missing room, a cursor past the log and one below what is kept', async () => {
    expect(await codeOf(setup(10).service.resume('stranger', ROOM, { afterEventSeq: 0 }, 3))).toBe(
      'ROOM_NOT_FOUND', // a private room is hidden from non-members
    );
    expect(await codeOf(setup(10).service.resume(MEMBER, 'nope', { afterEventSeq: 0 }, 3))).toBe(
      'ROOM_NOT_FOUND',
    );
    expect(await codeOf(setup(10).service.resume(MEMBER, ROOM, { afterEventSeq: 11 }, 3))).toBe(
      'RESYNC_REQUIRED',
    );
    expect(await codeOf(setup(10, 6).service.resume(MEMBER, ROOM, { afterEventSeq: 4 }, 3))).toBe(
      'RESYNC_REQUIRED',
    );
    // Exactly at the retained head is whole: event 6 is the next one and is kept.
    const { firstPage } = await setup(10, 6).service.resume(MEMBER, ROOM, { afterEventSeq: 5 }, 3);
    expect(firstPage?.map((e) => e.eventSeq)).toEqual([6, 7, 8]);
  });

  it('a cursor that is not a non-negative integer is refused after the access check, before any log read', async () => {
    const { log, service } = setup(10);
    expect(await codeOf(service.resume(MEMBER, ROOM, { afterEventSeq: -1 }, 3))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await codeOf(service.resume('stranger', ROOM, { afterEventSeq: -1 }, 3))).toBe(
      'ROOM_NOT_FOUND',
    );
    expect(log.reads).toEqual(['requireMember', 'requireMember']);
  });

  it('behind by afterSeq: the check, then a probe of the messages head', async () => {
    const { log, service } = setup(10, 3);
    expect(await codeOf(service.resume(MEMBER, ROOM, { afterSeq: 1 }, 3))).toBe('RESYNC_REQUIRED');
    const { room, firstPage } = await service.resume(MEMBER, ROOM, { afterSeq: 2 }, 3);
    expect([room.lastSeq, firstPage]).toEqual([10, undefined]);
    expect(log.reads).toEqual([
      'requireMember',
      'retainedFromSeq',
      'requireMember',
      'retainedFromSeq',
    ]);
  });
});

describe('RoomEventsService.list', () => {
  it('pages the log with a cursor for the next page, in one read per page', async () => {
    const { log, service } = setup(5);
    const first = await service.list({ userId: MEMBER }, ROOM, 0, 3);
    expect(first.items.map((e) => e.eventSeq)).toEqual([1, 2, 3]);
    expect(first.nextCursor).toBe('3');
    const second = await service.list({ userId: MEMBER }, ROOM, 3, 3);
    expect([second.items.map((e) => e.eventSeq), second.nextCursor]).toEqual([[4, 5], null]);
    expect(log.reads).toEqual(['findAfterAsMember', 'findAfterAsMember']);
  });
});
