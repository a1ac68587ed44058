import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { ChatEvent, MessageView } from '../../common/events/chat-events.js';
import { messageView, recordingBus } from '../../common/testing/unit-kit.fake.js';
import { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import { WebhookDeliveryRepository } from './domain/webhook-delivery.repository.js';
import { WEBHOOK_GROUP, WebhookFanout } from './webhook-fanout.service.js';
import type { WebhookDispatcher } from './webhook-dispatcher.service.js';

const ROOM = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';

const message = (id: string) => messageView({ id, roomId: ROOM });

const roomEvent = (event: string, data: object, eventSeq = 1): ChatEvent =>
  ({
    type: 'room.event',
    roomId: ROOM,
    event: { eventSeq, event, data: { ...data, eventSeq }, createdAt: '2026-03-01T00:00:00.000Z' },
  }) as unknown as ChatEvent;

/** The delivery queue's write side: how many bot deliveries each message queues. */
class QueueingDeliveries extends WebhookDeliveryRepository {
  readonly enqueued: MessageView[] = [];
  bots = 2;
  failNext = false;
  enqueueForMessage(m: MessageView): Promise<number> {
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('database unavailable'));
    }
    this.enqueued.push(m);
    return Promise.resolve(this.bots);
  }
  claimDue(): never {
    throw new Error('not used by the fan-out');
  }
  markDelivered(): never {
    throw new Error('not used by the fan-out');
  }
  markAttemptFailed(): never {
    throw new Error('not used by the fan-out');
  }
  purgeFinished(): never {
    throw new Error('not used by the fan-out');
  }
  listForBot(): never {
    throw new Error('not used by the fan-out');
  }
}

async function setup() {
  const rec = recordingBus();
  const deliveries = new QueueingDeliveries();
  let pokes = 0;
  const dispatcher = { poke: () => void pokes++ } as unknown as WebhookDispatcher;
  const metrics = new ChatMetrics();
  const fanout = new WebhookFanout(rec.bus, deliveries, dispatcher, metrics);
  await fanout.onApplicationBootstrap();
  const handled = async () =>
    (await metrics.registry.getSingleMetric('chat_bot_webhook_events_total')!.get()).values[0]
      ?.value ?? 0;
  return { ...rec, fanout, deliveries, pokes: () => pokes, handled };
}

describe('WebhookFanout', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it("joins the shared webhook group and queues each new message's deliveries, without its eventSeq, then wakes the dispatcher", async () => {
    const t = await setup();
    expect(t.inGroup(WEBHOOK_GROUP)).toBe(1);
    await t.bus.publish(roomEvent('message.new', message('m1'), 7));
    expect(await t.sharedSettled()).toBe(0);
    expect(t.deliveries.enqueued).toEqual([message('m1')]);
    expect(t.pokes()).toBe(1);
    expect(await t.handled()).toBe(1);

    // No bot to tell: the event counts as handled, the dispatcher is left asleep.
    t.deliveries.bots = 0;
    await t.bus.publish(roomEvent('message.new', message('m2'), 8));
    await t.sharedSettled();
    expect(t.deliveries.enqueued.map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(t.pokes()).toBe(1);
    expect(await t.handled()).toBe(2);
  });

  it('ignores every other event: edits, deletions, reactions, presence', async () => {
    const t = await setup();
    for (const e of [
      roomEvent('message.edited', { id: 'm1', content: 'x', editedAt: '2026-03-01T00:00:01Z' }),
      roomEvent('message.deleted', { id: 'm1' }),
      roomEvent('reaction.added', { messageId: 'm1', emoji: '👍', userId: 'u2' }),
      { type: 'presence', roomId: ROOM, userId: 'u1', online: true } as unknown as ChatEvent,
    ])
      await t.bus.publish(e);
    await t.sharedSettled();
    expect(t.deliveries.enqueued).toEqual([]);
    expect(t.pokes()).toBe(0);
    expect(await t.handled()).toBe(0);
  });

  it('lets a failed write reject, so the bus can hand the event again; counts only what it queued', async () => {
    const t = await setup();
    t.deliveries.failNext = true;
    await t.bus.publish(roomEvent('message.new', message('m1')));
    expect(await t.sharedSettled()).toBe(1);
    expect(await t.handled()).toBe(0);
    expect(t.pokes()).toBe(0);
    t.deliver(roomEvent('message.new', message('m1'))); // at least once: handled again
    expect(await t.sharedSettled()).toBe(0);
    expect(t.deliveries.enqueued.map((m) => m.id)).toEqual(['m1']);
  });

  it('leaves the group at shutdown, once, and only logs when leaving fails', async () => {
    const t = await setup();
    await t.fanout.beforeApplicationShutdown();
    expect(t.inGroup(WEBHOOK_GROUP)).toBe(0);
    await t.fanout.beforeApplicationShutdown(); // nothing left to leave
    expect(t.inGroup(WEBHOOK_GROUP)).toBe(0);
    await t.bus.publish(roomEvent('message.new', message('m1')));
    await t.sharedSettled();
    expect(t.deliveries.enqueued).toEqual([]);

    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const u = await setup();
    jest
      .spyOn(u.bus, 'subscribeShared')
      .mockResolvedValueOnce(() => Promise.reject(new Error('broker away')));
    await u.fanout.onApplicationBootstrap();
    await expect(u.fanout.beforeApplicationShutdown()).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith(
      { err: 'Error: broker away' },
      'leaving the webhook group failed',
    );
  });
});
