import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Counter } from 'prom-client';
import { DomainError } from '../../common/errors/domain-error.js';
import { InstanceIdentity } from '../../infrastructure/instance-identity.js';
import { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import { botsConfig, type BotsConfig } from './bots.config.js';
import { webhookSignature } from './domain/bot-token.js';
import { nextRetryDelayMs } from './domain/retry-schedule.js';
import {
  WebhookDeliveryRepository,
  type ClaimedDelivery,
} from './domain/webhook-delivery.repository.js';
import { WebhookNetwork } from './infrastructure/webhooks/webhook-network.js';

const PURGE_EVERY_MS = 60 * 60_000;

/** The JSON a webhook receives. */
export interface WebhookBody {
  deliveryId: string;
  bot: { id: string };
  event: string;
  message: ClaimedDelivery['payload']['message'];
}

/**
 * Sends queued webhook deliveries; one runs on every instance. Each claims due rows with
 * FOR UPDATE SKIP LOCKED and a lease (so instances never send the same row at the same time),
 * POSTs them signed, and records the outcome: 2xx delivered; anything else retried with
 * exponential back-off and jitter, failed after BOT_WEBHOOK_MAX_ATTEMPTS. A row whose instance
 * died mid-delivery becomes due again when its lease ends, and another instance sends it: the
 * receiver may see a delivery id twice (at least once), never a message without one.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('WebhookDispatcher');
  /** Written into each claimed row (leased_by): which instance holds it. */
  readonly holder: string;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly outcomes: Counter<'outcome'>;
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private again = false;
  /** The last round claimed all it had room for: more may be due as soon as a slot frees. */
  private backlog = false;
  /** The round running now (shutdown waits for it: it may be starting deliveries). */
  private round: Promise<void> | null = null;
  private stopped = false;
  private lastPurge = 0;

  constructor(
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly network: WebhookNetwork,
    @Inject(botsConfig.KEY) private readonly cfg: BotsConfig,
    identity: InstanceIdentity,
    metrics: ChatMetrics,
  ) {
    this.holder = identity.id;
    this.outcomes = new Counter({
      name: 'chat_bot_webhook_attempts_total',
      help: 'Bot webhook delivery attempts by this instance, by outcome (delivered, retry, failed)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
    // Each request has its deadline; what does not finish is leased and will be retried.
    await Promise.allSettled([...this.inFlight]);
  }

  /** New deliveries were queued: look now rather than at the next poll. */
  poke(): void {
    if (this.stopped) return;
    if (this.ticking) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.round = this.tick();
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      do {
        this.again = false;
        const free = this.cfg.concurrency - this.inFlight.size;
        this.backlog = free <= 0;
        if (this.backlog) break; // a finishing delivery pokes again
        const claimed = await this.deliveries.claimDue(free, this.cfg.leaseMs, this.holder);
        for (const d of claimed) this.track(this.deliver(d));
        this.backlog = claimed.length === free;
        if (this.backlog) this.again = true;
      } while (this.again && !this.stopped);
      if (Date.now() - this.lastPurge > PURGE_EVERY_MS) {
        this.lastPurge = Date.now();
        const n = await this.deliveries.purgeFinished(this.cfg.retentionHours);
        if (n > 0) this.log.log({ purged: n }, 'purged finished webhook deliveries');
      }
    } catch (err) {
      this.log.warn({ err: String(err) }, 'webhook dispatch round failed');
    } finally {
      this.ticking = false;
      this.schedule(this.again ? 0 : this.cfg.pollMs);
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      // A slot is free: more may be due right now, if the last round left some behind (else
      // the poll and the fan-out's poke find new work without a claim per finished delivery).
      if (this.backlog) this.poke();
    });
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    try {
      if (d.webhookUrl === null) return await this.giveUp(d, 'the bot has no webhook any more');
      if (d.messageDeleted) return await this.giveUp(d, 'the message was deleted before delivery');
      const body: WebhookBody = {
        deliveryId: d.id,
        bot: { id: d.botId },
        event: d.payload.event,
        message: d.payload.message,
      };
      const text = JSON.stringify(body);
      const timestamp = Math.floor(Date.now() / 1000);
      let error: string;
      try {
        const res = await this.network.post(d.webhookUrl, text, {
          'x-chat-delivery-id': d.id,
          'x-chat-event': d.payload.event,
          'x-chat-timestamp': String(timestamp),
          'x-chat-signature': webhookSignature(d.tokenHash, timestamp, text),
        });
        if (res.status >= 200 && res.status < 300) {
          await this.deliveries.markDelivered(d.id);
          this.outcomes.inc({ outcome: 'delivered' });
          return;
        }
        error = `HTTP ${res.status}`;
      } catch (err) {
        error =
          err instanceof DomainError
            ? `${err.code}: ${err.message}`
            : err instanceof Error
              ? err.message
              : String(err);
      }
      const delay = nextRetryDelayMs(d.attempts, this.cfg.retry);
      await this.deliveries.markAttemptFailed(
        d.id,
        d.attempts,
        error,
        delay === null ? null : new Date(Date.now() + delay),
      );
      this.outcomes.inc({ outcome: delay === null ? 'failed' : 'retry' });
      if (delay === null)
        this.log.warn({ deliveryId: d.id, botId: d.botId, error }, 'webhook delivery failed');
    } catch (err) {
      // The database is away: the lease runs out and the row is tried again.
      this.log.warn({ err: String(err), deliveryId: d.id }, 'could not record webhook outcome');
    }
  }

  private async giveUp(d: ClaimedDelivery, reason: string): Promise<void> {
    await this.deliveries.markAttemptFailed(d.id, d.attempts, reason, null);
    this.outcomes.inc({ outcome: 'failed' });
  }
}
