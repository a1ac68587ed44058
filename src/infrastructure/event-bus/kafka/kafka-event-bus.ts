import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ClientKafka, KafkaContext } from '@nestjs/microservices';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Admin, IHeaders, Kafka, KafkaConfig } from 'kafkajs';
import { lastValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import { busConfig, type BusConfig } from '../../../config/configuration.js';
import { eventKey, parseChatEvent, type ChatEvent } from '../../../common/events/chat-events.js';
import {
  EventBus,
  type BusHealth,
  type ChatEventHandler,
  type SharedEventHandler,
} from '../../../common/events/event-bus.js';
import { InstanceIdentity } from '../../instance-identity.js';
import { ChatKafkaServer } from './chat-kafka.server.js';
import { KafkaMetrics } from './kafka-metrics.js';
import { OutboxStore, type ClaimedEvent, type OutboxRef } from './outbox-store.js';
import { PROBE_HEADER } from './records.js';
import { KafkaSharedConsumer } from './shared-consumer.js';

/**
 * Events that are only true for a moment (a typing hint, a presence change anyone can re-read
 * from GET /rooms/:id/presence): no outbox record, so no database write per event, and nothing
 * stale replayed after a broker outage.
 */
const EPHEMERAL = new Set<ChatEvent['type']>(['typing', 'presence']);
const BATCH = 500;
const SEND_TIMEOUT_MS = 5000;
const SWEEP_MIN_AGE_MS = 2000;

interface Pending {
  event: ChatEvent;
  ref: OutboxRef | null;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`kafka send timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/**
 * Multi-instance driver. ChatEvents go to one topic keyed by room id (a room's events stay on one
 * partition, in order) through Nest's Kafka client; every instance consumes the whole topic
 * through Nest's Kafka server in a consumer group of its own (a shared group would hand each
 * record to one instance only and silently drop deliveries elsewhere).
 *
 * No acknowledged message is lost: a message's outbox record is written in its own transaction;
 * the relay publishes right after commit (no polling on the common path) and deletes the record
 * once Kafka has it (acks=all, idempotent producer). While Kafka is away, sends are still stored
 * and acked; a sweeper retries the outbox with back-off, oldest first, and delivery resumes in
 * order when the broker returns. Consumers drop what a subscriber already has (see
 * RoomSubscription), so a republished record never shows twice.
 */
@Injectable()
export class KafkaEventBus extends EventBus implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('KafkaEventBus');
  private readonly handlers = new Set<ChatEventHandler>();
  private readonly store: OutboxStore;
  readonly instanceId: string;
  readonly client: ClientKafka;
  readonly server: ChatKafkaServer;
  private queue: Pending[] = [];
  private flushing = false;
  private failing = false;
  private stopped = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweepDelay = 1000;
  private statsTimer: NodeJS.Timeout | null = null;
  private consumerCrashed: string | null = null;
  private probe: { expected: number; seen: Set<number>; resolve: () => void } | null = null;
  private ready = false;
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
    const client: KafkaConfig = {
      clientId: `${cfg.kafkaClientId}-${this.instanceId}`,
      brokers: cfg.kafkaBrokers,
      connectionTimeout: 3000,
      requestTimeout: 10000,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
      logLevel: 1, // kafkajs ERROR; its retries while the broker is away are expected
    };
    this.kafkaClient = client;
    this.client = new ClientKafka({
      client,
      producer: {
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
      },
      producerOnlyMode: true,
      send: { acks: -1 },
      postfixId: '',
    });
    // A group per process start: every instance sees every record, from "now".
    const groupId = `chat-fanout.${this.instanceId}.${Date.now().toString(36)}`;
    this.server = new ChatKafkaServer(
      {
        client,
        consumer: {
          groupId,
          sessionTimeout: 10000,
          heartbeatInterval: 1000,
          allowAutoTopicCreation: false,
          maxWaitTimeInMs: 500,
        },
        subscribe: { fromBeginning: false },
        // Not kafkajs's commit, which awaits a round trip after every batch inside the fetch
        // loop: ChatKafkaServer commits the processed positions every 500 ms beside it, which a
        // consumer restarted after a crash (a broker outage) resumes from.
        run: { autoCommit: false, partitionsConsumedConcurrently: 1 },
        postfixId: '',
      },
      {
        onJoin: () => {
          this.consumerCrashed = null;
        },
        onCrash: (err) => {
          this.consumerCrashed = String(err);
          this.log.error({ err: String(err) }, 'kafka consumer crashed');
        },
        onLag: (partition, lag) => {
          this.lag.set(partition, lag);
          let total = 0;
          for (const v of this.lag.values()) total += v;
          this.metrics.consumerLag.set(total);
        },
      },
    );
    this.server.addHandler(
      this.cfg.kafkaTopic,
      async (data: unknown, ctx: KafkaContext) => this.onRecord(data, ctx),
      true,
    );
  }

  /** Connects the producer and makes sure the topic exists. */
  async onModuleInit(): Promise<void> {
    await this.client.connect();
    const admin: Admin = this.client.unwrap<Kafka>().admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: this.cfg.kafkaTopic,
            numPartitions: this.cfg.kafkaPartitions,
            replicationFactor: this.cfg.kafkaReplicationFactor,
          },
        ],
      });
      if (created)
        this.log.log(
          { topic: this.cfg.kafkaTopic, partitions: this.cfg.kafkaPartitions },
          'created topic',
        );
    } finally {
      await admin.disconnect();
    }
    this.scheduleSweep(SWEEP_MIN_AGE_MS);
    this.statsTimer = setInterval(() => void this.sampleOutbox(), 5000);
    this.statsTimer.unref();
  }

  /**
   * Called once the Kafka server (consumer) is running: publishes a probe to every partition and
   * waits until this instance's consumer has read them all, so its position precedes anything
   * published after the instance reports ready.
   */
  async waitUntilConsuming(timeoutMs = 60_000): Promise<void> {
    const kafka = this.client.unwrap<Kafka>();
    const admin = kafka.admin();
    await admin.connect();
    let partitions: number[];
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [this.cfg.kafkaTopic] });
      partitions = meta.topics[0].partitions.map((p) => p.partitionId);
    } finally {
      await admin.disconnect();
    }
    const done = new Promise<void>((resolve) => {
      this.probe = { expected: partitions.length, seen: new Set(), resolve };
    });
    const deadline = Date.now() + timeoutMs;
    // A new group starts at "latest" only once it has fetched: repeat the probe until seen.
    while (!this.ready) {
      await this.client.producer.send({
        topic: this.cfg.kafkaTopic,
        acks: -1,
        messages: partitions.map((partition) => ({
          partition,
          value: '{}',
          headers: { [PROBE_HEADER]: this.instanceId },
        })),
      });
      const seen = await Promise.race([
        done.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 1000)),
      ]);
      if (seen) break;
      if (Date.now() > deadline) throw new Error('kafka consumer did not start consuming in time');
    }
  }

  async publish(event: ChatEvent): Promise<void> {
    let ref: OutboxRef | null = null;
    if (event.type === 'message.sent') {
      ref = { kind: 'message', roomId: event.roomId, seq: event.message.seq };
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
    // While the broker is away, the outbox holds what matters and the sweeper brings it over.
    if (this.failing || this.stopped) return;
    this.queue.push({ event, ref });
    if (!this.flushing) setImmediate(() => void this.flush());
  }

  subscribe(handler: ChatEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
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
    const healthy = this.ready && !this.failing && this.consumerCrashed === null;
    return {
      healthy,
      driver: 'kafka',
      details: {
        instanceId: this.instanceId,
        consuming: this.ready,
        publishing: !this.failing,
        ...(this.consumerCrashed ? { consumerError: this.consumerCrashed } : {}),
      },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    if (this.statsTimer) clearInterval(this.statsTimer);
    await Promise.all([...this.sharedConsumers].map((c) => c.stop()));
    this.sharedConsumers.clear();
    // Whatever is still queued has its outbox record; another instance's sweeper takes it.
    await this.client.close().catch(() => undefined);
  }

  private onRecord(data: unknown, ctx: KafkaContext): void {
    const headers: IHeaders = ctx.getMessage().headers ?? {};
    const probeFrom = headers[PROBE_HEADER];
    if (probeFrom !== undefined) {
      if (String(probeFrom) === this.instanceId && this.probe) {
        this.probe.seen.add(ctx.getPartition());
        if (this.probe.seen.size >= this.probe.expected) {
          this.ready = true;
          this.probe.resolve();
        }
      }
      return;
    }
    const event = parseChatEvent(data);
    if (!event) {
      // Validated like an HTTP body: a malformed record is logged and skipped, never trusted.
      this.metrics.malformedRecords.inc();
      this.log.warn(
        { topic: ctx.getTopic(), partition: ctx.getPartition(), offset: ctx.getMessage().offset },
        'skipped malformed record',
      );
      return;
    }
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (err) {
        this.log.error({ err: String(err), type: event.type }, 'event handler failed');
      }
    }
  }

  private async send(events: ChatEvent[]): Promise<void> {
    if (events.length === 0) return;
    const started = Date.now();
    await withTimeout(
      lastValueFrom(
        this.client.emitBatch(this.cfg.kafkaTopic, {
          messages: events.map((e) => ({ key: eventKey(e), value: JSON.stringify(e) })),
        }),
        { defaultValue: undefined },
      ),
      SEND_TIMEOUT_MS,
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
          await this.send(batch.map((p) => p.event));
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
        (items: ClaimedEvent[]) => this.send(items.map((i) => i.event!)),
      );
      if (this.failing) {
        // Nothing left to drain proves nothing about the broker: check it with a probe record.
        if (drained === 0) await this.sendHeartbeat();
        this.failing = false;
        this.log.log('kafka publishing recovered');
      }
      this.sweepDelay = 1000;
    } catch (err) {
      if (!this.failing) this.enterFailing(err);
      this.sweepDelay = Math.min(this.sweepDelay * 2, 5_000);
      // After a non-retriable connection error kafkajs's producer stays disconnected for good;
      // drop it so the next attempt connects a fresh one once the broker is back.
      await this.client.close().catch(() => undefined);
    }
    // A full batch means more is waiting: go again at once.
    this.scheduleSweep(drained >= BATCH ? 0 : this.failing ? this.sweepDelay : 1000);
  }

  /** One probe record (ignored by every consumer) to see whether the broker takes writes. */
  private async sendHeartbeat(): Promise<void> {
    // connect(): after a reset there is no producer until the next connection.
    const producer = await withTimeout(this.client.connect(), SEND_TIMEOUT_MS);
    await withTimeout(
      producer.send({
        topic: this.cfg.kafkaTopic,
        acks: -1,
        messages: [
          {
            partition: 0,
            value: '{}',
            headers: { [PROBE_HEADER]: `heartbeat-${this.instanceId}` },
          },
        ],
      }),
      SEND_TIMEOUT_MS,
    );
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
