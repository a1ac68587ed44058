import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Counter } from 'prom-client';
import { Periodic } from '../../common/periodic.js';
import { scheduledConfig, type ScheduledConfig } from '../../config/configuration.js';
import { InstanceIdentity } from '../../infrastructure/instance-identity.js';
import { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import { ScheduledMessagesService, type StallPoint } from './scheduled-messages.service.js';

/**
 * The sender: on every instance (unless SCHEDULED_SENDER_ENABLED=false), every SCHEDULED_POLL_MS, one round of
 * ScheduledMessagesService.sendDue with this instance's name as the lease holder. It starts once
 * the application is up and stops before it shuts down (waiting for the round in flight, whose
 * sends need the database and the bus that close after it).
 */
@Injectable()
export class ScheduledSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('ScheduledSender');
  private readonly rounds: Periodic;
  private readonly outcomes: Counter<'outcome'>;
  /** Resolves at shutdown: what a test stall waits for, so a stalled instance still stops. */
  private stopping!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.stopping = resolve));

  constructor(
    private readonly scheduled: ScheduledMessagesService,
    @Inject(scheduledConfig.KEY) private readonly cfg: ScheduledConfig,
    private readonly identity: InstanceIdentity,
    metrics: ChatMetrics,
  ) {
    this.rounds = new Periodic('scheduled-send', cfg.pollMs, () => this.round(), this.log);
    this.outcomes = new Counter({
      name: 'chat_scheduled_sends_total',
      help: 'Scheduled messages this instance claimed, by outcome (sent, failed, retry)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    if (this.cfg.senderEnabled) this.rounds.start(true);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping();
    await this.rounds.stop();
  }

  /** A database outage fails every round: said once when it starts and once when it ends. */
  private failing = false;

  private async round(): Promise<void> {
    try {
      const outcomes = await this.scheduled.sendDue(this.identity.id, {
        batch: this.cfg.batch,
        leaseMs: this.cfg.leaseMs,
        stall: this.cfg.testStallAfter ? (point) => this.stall(point) : undefined,
      });
      for (const outcome of outcomes) this.outcomes.inc({ outcome });
      if (this.failing) this.log.log('scheduled sender rounds succeed again');
      this.failing = false;
    } catch (err) {
      if (!this.failing)
        this.log.warn({ err: String(err) }, 'scheduled sender round failed; retrying every poll');
      this.failing = true;
    }
  }

  /** SCHEDULED_TEST_STALL_AFTER: hold here (until shutdown) so a test can kill this instance. */
  private async stall(point: StallPoint): Promise<void> {
    if (point !== this.cfg.testStallAfter) return;
    this.log.warn({ point }, 'test stall: holding a claimed scheduled message');
    await this.stopped;
    throw new Error('test stall ended by shutdown');
  }
}
