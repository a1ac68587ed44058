import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Counter } from 'prom-client';
import type { ChatEvent } from '../../common/events/chat-events.js';
import { EventBus } from '../../common/events/event-bus.js';
import { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import { WebhookDeliveryRepository } from './domain/webhook-delivery.repository.js';
import { WebhookDispatcher } from './webhook-dispatcher.service.js';

/** The consumer group every instance shares for webhook fan-out. */
export const WEBHOOK_GROUP = 'bots-webhooks';

/**
 * Turns each stored message into webhook deliveries, once across all instances: it listens on
 * the bus's shared group (one instance handles each event; the event counts as handled once the
 * deliveries are written), unlike the broadcast the gateways use. Writing is idempotent per
 * (bot, message), so an event handled twice queues nothing twice.
 */
@Injectable()
export class WebhookFanout implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('WebhookFanout');
  private unsubscribe: (() => Promise<void>) | null = null;
  private readonly handled: Counter;

  constructor(
    private readonly bus: EventBus,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly dispatcher: WebhookDispatcher,
    metrics: ChatMetrics,
  ) {
    this.handled = new Counter({
      name: 'chat_bot_webhook_events_total',
      help: 'message.sent events this instance handled for the webhook group (each event is handled by one instance)',
      registers: [metrics.registry],
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = await this.bus.subscribeShared(WEBHOOK_GROUP, (e) => this.onEvent(e));
  }

  async beforeApplicationShutdown(): Promise<void> {
    const stop = this.unsubscribe;
    this.unsubscribe = null;
    await stop?.().catch((err: unknown) =>
      this.log.warn({ err: String(err) }, 'leaving the webhook group failed'),
    );
  }

  async onEvent(event: ChatEvent): Promise<void> {
    // New messages only: never deleted yet.
    if (event.type !== 'room.event' || event.event.event !== 'message.new') return;
    const { eventSeq: _eventSeq, ...message } = event.event.data;
    const queued = await this.deliveries.enqueueForMessage(message);
    this.handled.inc();
    if (queued > 0) this.dispatcher.poke();
  }
}
