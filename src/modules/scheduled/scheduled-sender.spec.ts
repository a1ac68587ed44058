import { describe, expect, it } from '@jest/globals';
import type { ScheduledConfig } from '../../config/configuration.js';
import type { InstanceIdentity } from '../../infrastructure/instance-identity.js';
import { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import type { ScheduledMessagesService, StallPoint } from './scheduled-messages.service.js';
import { ScheduledSender } from './scheduled-sender.js';

const cfg = (over: Partial<ScheduledConfig> = {}): ScheduledConfig => ({
  senderEnabled: true,
  pollMs: 50,
  leaseMs: 5000,
  batch: 10,
  testStallAfter: null,
  ...over,
});
const identity = { id: 'instance-1' } as InstanceIdentity;

describe('ScheduledSender', () => {
  it('runs rounds as this instance until shutdown, and shutdown waits for the round in flight', async () => {
    const holders: string[] = [];
    let finishRound: () => void = () => undefined;
    let roundDone = false;
    const service = {
      sendDue: (holder: string) => {
        holders.push(holder);
        return new Promise<never[]>((resolve) => {
          finishRound = () => {
            roundDone = true;
            resolve([]);
          };
        });
      },
    } as unknown as ScheduledMessagesService;
    const sender = new ScheduledSender(service, cfg(), identity, new ChatMetrics());
    sender.onApplicationBootstrap();
    expect(holders).toEqual(['instance-1']); // the first round runs at once
    let stopped = false;
    const stopping = sender.beforeApplicationShutdown().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 120));
    expect(stopped).toBe(false); // still waiting for the round
    expect(holders).toHaveLength(1); // and no new round started
    finishRound();
    await stopping;
    expect(roundDone).toBe(true);
  });

  it('a test stall holds the round only at its own point, and shutdown releases it', async () => {
    const points: StallPoint[] = [];
    let reached: () => void = () => undefined;
    const atStall = new Promise<void>((r) => (reached = r));
    const service = {
      sendDue: async (
        _holder: string,
        opts: { stall?: (p: StallPoint) => Promise<void> },
      ): Promise<string[]> => {
        await opts.stall!('claim'); // not this sender's point: passes
        points.push('claim');
        reached();
        await opts.stall!('append').catch(() => points.push('append'));
        return [];
      },
    } as unknown as ScheduledMessagesService;
    const sender = new ScheduledSender(
      service,
      cfg({ testStallAfter: 'append' }),
      identity,
      new ChatMetrics(),
    );
    sender.onApplicationBootstrap();
    await atStall;
    await sender.beforeApplicationShutdown();
    expect(points).toEqual(['claim', 'append']);
  });

  it('runs no rounds when the sender is off on this instance', async () => {
    let calls = 0;
    const service = {
      sendDue: () => {
        calls++;
        return Promise.resolve([]);
      },
    } as unknown as ScheduledMessagesService;
    const sender = new ScheduledSender(
      service,
      cfg({ senderEnabled: false }),
      identity,
      new ChatMetrics(),
    );
    sender.onApplicationBootstrap();
    await new Promise((r) => setTimeout(r, 120));
    await sender.beforeApplicationShutdown();
    expect(calls).toBe(0);
  });

  it('counts outcomes in chat_scheduled_sends_total', async () => {
    const metrics = new ChatMetrics();
    let calls = 0;
    const service = {
      sendDue: () => Promise.resolve(++calls === 1 ? ['sent', 'sent', 'failed'] : []),
    } as unknown as ScheduledMessagesService;
    const sender = new ScheduledSender(service, cfg(), identity, metrics);
    sender.onApplicationBootstrap();
    await sender.beforeApplicationShutdown();
    const text = await metrics.registry.metrics();
    expect(text).toContain('chat_scheduled_sends_total{outcome="sent"} 2');
    expect(text).toContain('chat_scheduled_sends_total{outcome="failed"} 1');
  });

  it('keeps polling after a failed round', async () => {
    let calls = 0;
    const service = {
      sendDue: () => (++calls === 1 ? Promise.reject(new Error('db down')) : Promise.resolve([])),
    } as unknown as ScheduledMessagesService;
    const sender = new ScheduledSender(service, cfg(), identity, new ChatMetrics());
    sender.onApplicationBootstrap();
    const deadline = Date.now() + 5000;
    while (calls < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await sender.beforeApplicationShutdown();
    expect(calls).toBeGreaterThanOrEqual(3);
  });
});
