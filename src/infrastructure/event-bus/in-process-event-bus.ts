import { Injectable, Logger } from '@nestjs/common';
import type { ChatEvent } from '../../common/events/chat-events.js';
import { EventBus, type BusHealth, type ChatEventHandler } from '../../common/events/event-bus.js';

/**
 * Single-instance driver: events go to this process's subscribers, in publish order, on the
 * next turn of the event loop (so a publisher's own reply, such as an ack, goes out first, as it
 * would with a real broker).
 */
@Injectable()
export class InProcessEventBus extends EventBus {
  private readonly logger = new Logger('InProcessEventBus');
  private readonly handlers = new Set<ChatEventHandler>();
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
    }
  }

  subscribe(handler: ChatEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async health(): Promise<BusHealth> {
    return { healthy: true, driver: 'in-process' };
  }
}
