// What the services' unit tests share (not built into dist: *.fake.ts is excluded): how a call
// ended, a hasher that needs no CPU, an event bus that records what is published.
import type { ChatEvent, MessageView } from '../events/chat-events.js';
import type {
  ChatEventHandler,
  EventBus,
  EventHint,
  EventInterest,
  SharedEventHandler,
} from '../events/event-bus.js';
import { PasswordHasher } from '../security/password-hasher.js';

/** 'resolved', or the DomainError's code (the message for any other error). */
export const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: Error & { code?: string }) => e.code ?? e.message,
  );

/**
 * Each case's outcome, its handler attached when the list is built: a call that rejects at
 * once does not wait unhandled for its turn to be awaited.
 */
export const settled = (cases: [string, Promise<unknown>][]) =>
  cases.map(([code, p]) => [code, codeOf(p)] as const);

/** Polls until `done` holds (a condition, never a fixed sleep); fails after `timeoutMs`. */
export async function until(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** `hashed:<password>`: what a test needs of a hash, without argon2's cost. */
export class PlainHasher extends PasswordHasher {
  hash(password: string): Promise<string> {
    return Promise.resolve(`hashed:${password}`);
  }
  verify(hash: string, password: string): Promise<boolean> {
    return Promise.resolve(hash === `hashed:${password}`);
  }
}

/**
 * An in-process EventBus that keeps every published event and, as the real buses do, hands it to
 * this instance's subscribers; `deliver` hands an event to them as if another instance had
 * published it. `wanted` asks the subscribers' interests, as the Kafka bus does before decoding
 * a record (a subscriber without one wants everything). Shared groups (subscribeShared) get
 * each event once, handed to the group's first subscriber.
 */
export function recordingBus(): {
  bus: EventBus;
  published: ChatEvent[];
  deliver: (e: ChatEvent) => void;
  wanted: (hint: EventHint) => boolean;
  /** How many subscriptions a shared group has now. */
  inGroup: (group: string) => number;
  /** Waits for the shared handlers called so far; answers how many of them rejected. */
  sharedSettled: () => Promise<number>;
} {
  const published: ChatEvent[] = [];
  const handlers = new Map<ChatEventHandler, EventInterest | undefined>();
  const shared = new Map<string, SharedEventHandler[]>();
  const running: Promise<unknown>[] = [];
  const hand = (e: ChatEvent) => {
    for (const h of [...handlers.keys()]) h(e);
    // One subscriber per group handles each event, as on the real buses.
    for (const [, hs] of shared) if (hs[0]) running.push(hs[0](e));
  };
  const bus = {
    publish: (e: ChatEvent) => {
      published.push(e);
      hand(e);
      return Promise.resolve();
    },
    subscribe: (h: ChatEventHandler, interest?: EventInterest) => {
      handlers.set(h, interest);
      return () => void handlers.delete(h);
    },
    subscribeShared: (group: string, h: SharedEventHandler) => {
      shared.set(group, [...(shared.get(group) ?? []), h]);
      return Promise.resolve(() => {
        shared.set(
          group,
          (shared.get(group) ?? []).filter((x) => x !== h),
        );
        return Promise.resolve();
      });
    },
  } as unknown as EventBus;
  return {
    bus,
    published,
    deliver: hand,
    wanted: (hint) => [...handlers.values()].some((i) => !i || i(hint)),
    inGroup: (group) => shared.get(group)?.length ?? 0,
    sharedSettled: async () =>
      (await Promise.allSettled(running.splice(0))).filter((r) => r.status === 'rejected').length,
  };
}

/** A plain text message as events and pages carry it; `over` sets what a test cares about. */
export const messageView = (over: Partial<MessageView> = {}): MessageView => ({
  id: 'dddddddd-dddd-4ddd-8ddd-dddddddddddd',
  roomId: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
  seq: 1,
  userId: 'u1',
  username: 'alice',
  content: 'hello',
  type: 'text',
  clientMsgId: null,
  createdAt: '2026-03-01T00:00:00.000Z',
  sentBy: null,
  deletedAt: null,
  deleted: false,
  editedAt: null,
  threadRootId: null,
  thread: null,
  mentions: [],
  reactions: [],
  attachments: [],
  ...over,
});
