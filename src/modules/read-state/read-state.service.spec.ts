import { describe, expect, it } from '@jest/globals';
import type { ChatEvent, MessageView } from '../../common/events/chat-events.js';
import type { EventBus } from '../../common/events/event-bus.js';
import { ChatExtensions } from '../../common/extensions/chat-extensions.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import type { ReadState } from './domain/read-marker.js';
import type { ReadStateRepository } from './domain/read-state.repository.js';
import { ReadStateService } from './read-state.service.js';

const R1 = '00000000-0000-4000-8000-000000000001';
const R2 = '00000000-0000-4000-8000-000000000002';
const U = '00000000-0000-4000-8000-00000000000a';

function setup() {
  const calls: { roomId: string; userId: string }[][] = [];
  const published: ChatEvent[] = [];
  const repo = {
    statesOf: async (pairs: { roomId: string; userId: string }[]) => {
      calls.push(pairs);
      return pairs.map((p): ReadState & { userId: string } => ({
        roomId: p.roomId,
        userId: p.userId,
        lastReadSeq: 7,
        unreadCount: 0,
        mentionCount: 0,
      }));
    },
  } as unknown as ReadStateRepository;
  const bus = {
    publish: async (e: ChatEvent) => {
      published.push(e);
    },
  } as unknown as EventBus;
  const svc = new ReadStateService(repo, {} as RoomsService, bus, new ChatExtensions());
  return { svc, calls, published };
}

const msg = (roomId: string, seq: number) => ({ roomId, userId: U, seq }) as MessageView;
const turn = () => new Promise((r) => setImmediate(r));

describe('ReadStateService: markers moved by own sends', () => {
  it('reads the authors of one turn in one statement, each (room, user) once, and announces each', async () => {
    const { svc, calls, published } = setup();
    await Promise.all([svc.stored(msg(R1, 5)), svc.stored(msg(R1, 6)), svc.stored(msg(R2, 7))]);
    expect(calls).toEqual([]); // nothing read on the send path itself
    await turn();
    await turn();
    expect(calls).toEqual([
      [
        { roomId: R1, userId: U },
        { roomId: R2, userId: U },
      ],
    ]);
    expect(published.map((e) => e.type === 'read.updated' && [e.roomId, e.userId])).toEqual([
      [R1, U],
      [R2, U],
    ]);
  });

  it('registers itself as a message observer', () => {
    const ext = new ChatExtensions();
    const svc = new ReadStateService(
      {} as ReadStateRepository,
      {} as RoomsService,
      {} as EventBus,
      ext,
    );
    svc.onModuleInit();
    expect(ext.messageObservers).toEqual([svc]);
  });
});
