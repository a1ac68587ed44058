import { Injectable, Logger } from '@nestjs/common';
import type { ChatEvent } from '../../common/events/chat-events.js';
import {
  EventBus,
  type BusHealth,
  type ChatEventHandler,
  type SharedEventHandler,
} from '../../common/events/event-bus.js';
import { retryWithBackoff } from './retry.js';

/** A shared subscription in one process: its events are handled one after another, in order. */
interface SharedSubscription {
  group: string;
  handler: SharedEventHandler;
  tail: Promise<void>;
}

const SHARED_ATTEMPTS = 3;
const SHARED_RETRY_MS = 100;

/**
 * Single-instance driver: events go to this process's subscribers, in publish order, on the
 * next turn of the event loop (so a publisher's own reply, such as an ack, goes out first, as it
 * would with a real broker).
 */
@Injectable()
export class InProcessEventBus extends EventBus {
  private readonly logger = new Logger('InProcessEventBus');
  private readonly handlers = new Set<ChatEventHandler>();
  private readonly shared = new Set<SharedSubscription>();
  private queue: ChatEvent[] = [];

  async publish(event: ChatEvent): Promise<void> {
    this.queue.push(event);
    if (this.queue.length === 1) setImmediate(() => this.deliver());
  }

  private deliver(): void {
    const events = this.queue;
    this.queue = [];
    for (const event of events) {
      for (const handler of this.handlers) {
        try {
          handler(event);
        } catch (err) {
          // One faulty subscriber must not stop delivery to the others.
          this.logger.error({ err: String(err), type: event.type }, 'event handler failed');
        }
      }
      for (const sub of this.shared) sub.tail = sub.tail.then(() => this.handleShared(sub, event));
    }
  }

  /**
   * One instance is the whole group: every event goes to the handler. There is no durable log
   * to come back to, so a failing handler is retried a few times here, then the event is logged
   * as lost.
   */
  private async handleShared(sub: SharedSubscription, event: ChatEvent): Promise<void> {
    await retryWithBackoff(() => sub.handler(event), {
      attempts: SHARED_ATTEMPTS,
      initialDelayMs: SHARED_RETRY_MS,
    }).catch((err: unknown) =>
      this.logger.error(
        { err: String(err), type: event.type, group: sub.group },
        'shared event handler failed; event dropped',
      ),
    );
  }

  subscribe(handler: ChatEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async subscribeShared(group: string, handler: SharedEventHandler): Promise<() => Promise<void>> {
    const sub: SharedSubscription = { group, handler, tail: Promise.resolve() };
    this.shared.add(sub);
    return async () => {
      this.shared.delete(sub);
      await sub.tail; // what was already handed over finishes first
    };
  }

  async health(): Promise<BusHealth> {
    return { healthy: true, driver: 'in-process' };
  }
}
