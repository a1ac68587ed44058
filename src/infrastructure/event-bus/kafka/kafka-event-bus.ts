import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
// kafkajs is CommonJS: take its exports from the default import (ESM interop).
import kafkajs from 'kafkajs';
import type { Kafka, KafkaConfig, KafkaMessage } from 'kafkajs';
import { DataSource } from 'typeorm';
import { busConfig, type BusConfig } from '../../../config/configuration.js';
import { eventKey, parseChatEvent, type ChatEvent } from '../../../common/events/chat-events.js';
import {
  EventBus,
  type BusHealth,
  type ChatEventHandler,
  type EventHint,
  type EventInterest,
  type SharedEventHandler,
} from '../../../common/events/event-bus.js';
import { InstanceIdentity } from '../../instance-identity.js';
import { isTransientKafkaError, retryWithBackoff } from '../retry.js';
import { FanoutConsumer } from './fanout-consumer.js';
import { createKafka } from './kafka-client.js';
import { KafkaMetrics } from './kafka-metrics.js';
import { OutboxStore, type ClaimedEvent, type OutboxRef } from './outbox-store.js';
import { KafkaPublisher } from './publisher.js';
import { eventId, PROBE_HEADER, recordHeaders, recordHint } from './records.js';
import { KafkaSharedConsumer } from './shared-consumer.js';
import { TopicAdmin } from './topic-admin.js';

/**
 * Events that are only true for a moment (a typing hint, a presence change anyone can re-read
 * from GET /rooms/:id/presence): no outbox record, so no database write per event, and nothing
 * stale replayed after a broker outage.
 *
 * read.updated is one of them by choice. The marker itself is durable (stored in the read's or
 * the send's own transaction) and GET /users/me/rooms always shows it; the event carries the
 * whole state (lastReadSeq, unreadCount, mentionCount), not a change, so the next one corrects
 * any the user missed. An outbox row would add a write and a delete to every send (each send
 * moves its author's marker) to replay, after an outage, states already overtaken. So while
 * the broker is away markers still move, requests succeed and, once the instance knows it (its
 * first failed send, up to a few seconds), the user's sockets on the same instance hear of it
 * (delivered locally, see publish); those on other instances, and those events of the first
 * seconds, are not replayed: the next move, or a re-read of the room list, brings them up to date.
 */
const EPHEMERAL = new Set<ChatEvent['type']>(['typing', 'presence', 'read.updated']);
const BATCH = 500;
const SWEEP_MIN_AGE_MS = 2000;

interface Pending {
  event: ChatEvent;
  ref: OutboxRef | null;
}

/** How long boot waits for the broker (topic, producer), then for the consumer, before giving up. */
const BOOT_DEADLINE_MS = 120_000;

/**
 * Multi-instance driver. ChatEvents go to one topic keyed by room id (a room's events stay on one
 * partition, in order), each with the headers of RecordHeader, through KafkaPublisher; every
 * instance reads the whole topic through its FanoutConsumer (a group of its own, no committed
 * offsets, readiness from the group join); TopicAdmin creates the topic.
 *
 * No acknowledged change is lost: the room event log is the outbox. A room event is written in
 * its change's own transaction, marked unpublished; the relay publishes it right after commit
 * (no polling on the common path), as the log holds it, and marks it published once Kafka has it
 * (acks=all, idempotent producer). While Kafka is away, changes are still stored and acked; a
 * sweeper publishes what the log still holds unpublished with back-off, in log order per room,
 * and delivery resumes when the broker returns. Consumers order and de-duplicate by eventSeq
 * (see RoomSubscription), so a republished record never shows twice.
 */
@Injectable()
export class KafkaEventBus
  extends EventBus
  implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly log = new Logger('KafkaEventBus');
  private readonly handlers = new Map<ChatEventHandler, EventInterest | undefined>();
  private readonly store: OutboxStore;
  readonly instanceId: string;
  private readonly kafka: Kafka;
  private readonly publisher: KafkaPublisher;
  private readonly topicAdmin: TopicAdmin;
  readonly fanout: FanoutConsumer;
  private queue: Pending[] = [];
  private flushing = false;
  private failing = false;
  private stopped = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweepDelay = 1000;
  private statsTimer: NodeJS.Timeout | null = null;
  private readonly lag = new Map<number, number>();
  /** The kafkajs client options, reused by shared-group consumers (subscribeShared). */
  private readonly kafkaClient: KafkaConfig;
  private readonly sharedConsumers = new Set<KafkaSharedConsumer>();

  constructor(
    @Inject(busConfig.KEY) private readonly cfg: BusConfig,
    @InjectDataSource() ds: DataSource,
    private readonly metrics: KafkaMetrics,
    identity: InstanceIdentity,
  ) {
    super();
    this.store = new OutboxStore(ds);
    this.instanceId = identity.id;
    this.kafkaClient = {
      clientId: `${cfg.kafkaClientId}-${this.instanceId}`,
      brokers: cfg.kafkaBrokers,
      connectionTimeout: 3000,
      requestTimeout: 10000,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
      logLevel: kafkajs.logLevel.ERROR, // its retries while the broker is away are expected
    };
    this.kafka = createKafka(this.kafkaClient, new Logger('kafkajs'));
    this.publisher = new KafkaPublisher(this.kafka, cfg.kafkaTopic);
    this.topicAdmin = new TopicAdmin(this.kafka, {
      topic: cfg.kafkaTopic,
      numPartitions: cfg.kafkaPartitions,
      replicationFactor: cfg.kafkaReplicationFactor,
      minInsyncReplicas: cfg.kafkaMinInsyncReplicas,
    });
    this.fanout = new FanoutConsumer({
      kafka: this.kafka,
      topic: cfg.kafkaTopic,
      groupPrefix: `${cfg.kafkaClientId}.fanout.`,
      instanceId: this.instanceId,
      onRecord: (message, partition) => this.onRecord(message, partition),
      onRestart: () => this.metrics.consumerRestarts.inc(),
      onLag: (partition, lag) => {
        this.lag.set(partition, lag);
        let total = 0;
        for (const v of this.lag.values()) total += v;
        this.metrics.consumerLag.set(total);
      },
    });
  }

  /**
   * Connects the producer and makes sure the topic exists. A broker that is not there yet (a
   * cluster starting with this instance, a topic whose leaders are still being elected) is waited
   * for, with back-off, up to BOOT_DEADLINE_MS; an error that retrying cannot fix (bad
   * configuration, authentication) ends the boot at once.
   */
  async onModuleInit(): Promise<void> {
    await retryWithBackoff(
      async () => {
        await this.publisher.connect();
        if (await this.topicAdmin.ensureTopic())
          this.log.log(
            {
              topic: this.cfg.kafkaTopic,
              partitions: this.cfg.kafkaPartitions,
              replicationFactor: this.cfg.kafkaReplicationFactor,
              minInsyncReplicas: this.cfg.kafkaMinInsyncReplicas ?? 'broker default',
            },
            'created topic',
          );
      },
      {
        deadlineMs: BOOT_DEADLINE_MS,
        initialDelayMs: 250,
        maxDelayMs: 5000,
        jitter: true,
        shouldRetry: isTransientKafkaError,
        onRetry: (err, attempt, delayMs) =>
          this.log.warn(
            { err: String(err), attempt, delayMs },
            'kafka not available yet at boot; retrying',
          ),
      },
    );
    this.scheduleSweep(SWEEP_MIN_AGE_MS);
    this.statsTimer = setInterval(() => void this.sampleOutbox(), 5000);
    this.statsTimer.unref();
  }

  /**
   * Starts the fan-out consumer and waits until it reads the topic, so the instance serves no
   * client before it receives every event published from then on.
   */
  async onApplicationBootstrap(): Promise<void> {
    this.fanout.start();
    await this.fanout.whenReady(BOOT_DEADLINE_MS);
  }

  async publish(event: ChatEvent): Promise<void> {
    let ref: OutboxRef | null = null;
    if (event.type === 'room.event') {
      // Already durable: the room's log is the outbox (see OutboxStore).
      ref = { kind: 'roomEvent', roomId: event.roomId, eventSeq: event.event.eventSeq };
    } else if (!EPHEMERAL.has(event.type)) {
      try {
        ref = await this.store.stage(event, eventKey(event));
      } catch (err) {
        this.log.warn(
          { err: String(err), type: event.type },
          'could not stage event in the outbox',
        );
      }
    }
    // While the broker is away, the outbox holds what matters and the sweeper brings it over;
    // what it does not hold (ephemeral events) reaches this instance's own sockets at least.
    if (this.failing || this.stopped) {
      if (this.failing && !this.stopped && ref === null && EPHEMERAL.has(event.type))
        this.dispatch(event);
      return;
    }
    this.queue.push({ event, ref });
    if (!this.flushing) setImmediate(() => void this.flush());
  }

  subscribe(handler: ChatEventHandler, interest?: EventInterest): () => void {
    this.handlers.set(handler, interest);
    return () => this.handlers.delete(handler);
  }

  /** Whether any subscriber here may want the record (see EventInterest); asked before decoding. */
  private wanted(hint: EventHint): boolean {
    for (const interest of this.handlers.values()) if (!interest || interest(hint)) return true;
    return false;
  }

  /**
   * A consumer group shared by every instance (`${clientId}.${topic}.${group}`, the same on all
   * of them): each record goes to one member, its offset committed once the handler resolved.
   * See KafkaSharedConsumer for where a brand new group starts.
   */
  async subscribeShared(group: string, handler: SharedEventHandler): Promise<() => Promise<void>> {
    const consumer = new KafkaSharedConsumer({
      client: { ...this.kafkaClient, clientId: `${this.kafkaClient.clientId}-${group}` },
      topic: this.cfg.kafkaTopic,
      groupId: `${this.cfg.kafkaClientId}.${this.cfg.kafkaTopic}.${group}`,
      handler,
    });
    try {
      await consumer.start();
    } catch (err) {
      await consumer.stop();
      throw err;
    }
    this.sharedConsumers.add(consumer);
    return async () => {
      this.sharedConsumers.delete(consumer);
      await consumer.stop();
    };
  }

  async health(): Promise<BusHealth> {
    const consumer = this.fanout.status();
    return {
      healthy: consumer.ready && !this.failing,
      driver: 'kafka',
      details: {
        instanceId: this.instanceId,
        consuming: consumer.ready,
        publishing: !this.failing,
        ...(consumer.error ? { consumerError: consumer.error } : {}),
      },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    if (this.statsTimer) clearInterval(this.statsTimer);
    await Promise.all([...[...this.sharedConsumers].map((c) => c.stop()), this.fanout.stop()]);
    this.sharedConsumers.clear();
    // Whatever is still queued has its outbox record; another instance's sweeper takes it.
    await this.publisher.reset();
  }

  private onRecord(message: KafkaMessage, partition: number): void {
    if (message.headers?.[PROBE_HEADER] !== undefined) return;
    // Another room's record, with no subscriber of it here: dropped before decoding, so adding
    // instances does not multiply everyone's decoding work.
    const hint = recordHint(message.key, message.headers);
    if (hint && !this.wanted(hint)) {
      this.metrics.skippedRecords.inc();
      return;
    }
    const producedAt = Number(message.timestamp);
    if (producedAt > 0) this.metrics.recordAge.observe(Math.max(0, Date.now() - producedAt) / 1000);
    let data: unknown;
    try {
      data = JSON.parse(message.value?.toString() ?? '');
    } catch {
      data = null;
    }
    const event = parseChatEvent(data);
    if (!event) {
      // Validated like an HTTP body: a malformed record is logged and skipped, never trusted.
      this.metrics.malformedRecords.inc();
      this.log.warn(
        { topic: this.cfg.kafkaTopic, partition, offset: message.offset },
        'skipped malformed record',
      );
      return;
    }
    this.dispatch(event);
  }

  /** Hands an event to this instance's subscribers (the gateway, caches). */
  private dispatch(event: ChatEvent): void {
    for (const handler of this.handlers.keys()) {
      try {
        handler(event);
      } catch (err) {
        this.log.error({ err: String(err), type: event.type }, 'event handler failed');
      }
    }
  }

  private async send(items: Pending[]): Promise<void> {
    if (items.length === 0) return;
    const started = Date.now();
    for (const { event } of items)
      if (event.type === 'room.event') {
        const createdAt = Date.parse(event.event.createdAt);
        if (createdAt > 0)
          this.metrics.publishDelay.observe(Math.max(0, started - createdAt) / 1000);
      }
    await this.publisher.send(
      items.map(({ event, ref }) => ({
        key: eventKey(event),
        value: JSON.stringify(event),
        headers: recordHeaders(event, eventId(event, ref), this.instanceId),
      })),
    );
    this.metrics.publishLatency.observe((Date.now() - started) / 1000);
  }

  /** The common path: publish right after commit, in batches, then forget the outbox records. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0 && !this.failing && !this.stopped) {
        const batch = this.queue.splice(0, BATCH);
        try {
          await this.send(batch);
        } catch (err) {
          this.enterFailing(err);
          this.queue = [];
          return;
        }
        const refs = batch.flatMap((p) => (p.ref ? [p.ref] : []));
        // If this delete fails the sweeper republishes; consumers drop the duplicates.
        if (refs.length > 0)
          await this.store
            .remove(refs)
            .catch((err: unknown) => this.log.warn({ err: String(err) }, 'outbox cleanup failed'));
      }
    } finally {
      this.flushing = false;
    }
  }

  private enterFailing(err: unknown): void {
    if (!this.failing)
      this.log.error(
        { err: String(err) },
        'kafka publish failed; outbox takes over until the broker is back',
      );
    this.failing = true;
    this.metrics.publishFailures.inc();
    this.sweepDelay = 500;
    this.scheduleSweep(0);
  }

  private scheduleSweep(delayMs: number): void {
    if (this.stopped) return;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = setTimeout(() => void this.sweep(), delayMs);
    this.sweepTimer.unref();
  }

  /** The safety net: records left behind (broker down, instance crashed) go out oldest first. */
  private async sweep(): Promise<void> {
    let drained = 0;
    try {
      drained = await this.store.drain(
        this.failing ? 0 : SWEEP_MIN_AGE_MS,
        BATCH,
        (items: ClaimedEvent[]) => this.send(items.map((i) => ({ event: i.event, ref: i.ref }))),
      );
      if (this.failing) {
        // Nothing left to drain proves nothing about the broker: ask it (no probe record).
        if (drained === 0) {
          await this.publisher.connect();
          if (!(await this.topicAdmin.writable())) throw new Error('topic has no leader yet');
        }
        this.failing = false;
        this.log.log('kafka publishing recovered');
      }
      this.sweepDelay = 1000;
    } catch (err) {
      if (!this.failing) this.enterFailing(err);
      this.sweepDelay = Math.min(this.sweepDelay * 2, 5_000);
      // After a non-retriable connection error kafkajs's producer stays disconnected for good;
      // drop it so the next attempt connects a fresh one once the broker is back.
      await this.publisher.reset();
    }
    // A full batch means more is waiting: go again at once.
    this.scheduleSweep(drained >= BATCH ? 0 : this.failing ? this.sweepDelay : 1000);
  }

  private async sampleOutbox(): Promise<void> {
    try {
      const s = await this.store.stats();
      this.metrics.outboxBacklog.set(s.backlog);
      this.metrics.outboxOldestAge.set(s.oldestAgeSec);
    } catch {
      /* the database being away shows up in /health/ready */
    }
  }
}
