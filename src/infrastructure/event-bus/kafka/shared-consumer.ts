import { Logger } from '@nestjs/common';
// kafkajs is CommonJS: take its exports from the default import (ESM interop).
import kafkajs from 'kafkajs';
import type { Consumer, KafkaConfig } from 'kafkajs';
import { parseChatEvent } from '../../../common/events/chat-events.js';
import type { SharedEventHandler } from '../../../common/events/event-bus.js';
import { isRetriable, retryWithBackoff } from '../retry.js';
import { PROBE_HEADER } from './records.js';

/** In-place retries of a failing handler before the record goes back to kafkajs (which retries it). */
const HANDLER_ATTEMPTS = 3;
const HANDLER_RETRY_MS = 200;
/**
 * How long start() keeps retrying the group's offset set-up while the broker answers with a
 * retriable error (right after a broker start its group coordinator answers "loading" for a while).
 */
const INIT_DEADLINE_MS = 30_000;

export interface SharedConsumerOptions {
  client: KafkaConfig;
  topic: string;
  groupId: string;
  handler: SharedEventHandler;
}

/**
 * One member of a consumer group shared by every instance (the EventBus's `subscribeShared`):
 * Kafka hands each partition to one member, so each record is handled by one instance. A
 * record's offset is committed only after the handler resolved for it (autoCommit commits
 * resolved offsets only), so a handler that fails, or an instance that dies, means the record is
 * handled again by whoever owns the partition next: at least once.
 *
 * Where a brand new group starts: before its first member joins, the group's offsets are set to
 * the topic's end (unless the group already has offsets), so everything published after
 * `start()` resolved is handled, older records are not replayed, and a group whose members all
 * stop resumes where it left off. Two instances creating the same new group at the same moment
 * may both set the end; records published in that instant of the first start may be skipped.
 */
export class KafkaSharedConsumer {
  private readonly log: Logger;
  private consumer: Consumer | null = null;
  private stopping = false;

  constructor(private readonly opts: SharedConsumerOptions) {
    this.log = new Logger(`KafkaSharedConsumer:${opts.groupId}`);
  }

  /**
   * Resolves once the group's offsets are settled and the consumer is subscribed; it joins the
   * group and consumes in the background (kafkajs retries and restarts it on failures).
   */
  async start(): Promise<void> {
    // kafkajs's own log lines go through the application's logger (JSON, like the bus's).
    const kafka = new kafkajs.Kafka({
      ...this.opts.client,
      logCreator:
        () =>
        ({ level, namespace, log }) => {
          const { message, ...rest } = log;
          const text = `kafkajs [${namespace}] ${message}`;
          if (level <= kafkajs.logLevel.ERROR) this.log.error({ ...rest }, text);
          else if (level === kafkajs.logLevel.WARN) this.log.warn({ ...rest }, text);
          else this.log.debug({ ...rest }, text);
        },
    });
    await retryWithBackoff(() => this.initialiseGroupOffsets(kafka), {
      deadlineMs: INIT_DEADLINE_MS,
      maxDelayMs: 2000,
      shouldRetry: isRetriable,
      onRetry: (err, attempt, delayMs) =>
        this.log.warn({ err: String(err), attempt, delayMs }, 'shared group set-up retried'),
    });
    const consumer = kafka.consumer({
      groupId: this.opts.groupId,
      sessionTimeout: 10000,
      heartbeatInterval: 1000,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (e) =>
      this.log.error(
        { err: String(e.payload.error), restart: e.payload.restart },
        'shared consumer crashed',
      ),
    );
    await consumer.connect();
    await consumer.subscribe({ topics: [this.opts.topic], fromBeginning: false });
    // Not awaited: joining can wait out a dead member's session (a restart); the group's
    // offsets are already set, so nothing published from here on is missed meanwhile.
    consumer
      .run({
        autoCommit: true,
        partitionsConsumedConcurrently: 3,
        eachMessage: async ({ message, partition }) => {
          if (message.headers?.[PROBE_HEADER] !== undefined) return;
          let raw: unknown;
          try {
            raw = JSON.parse(message.value?.toString() ?? '');
          } catch {
            raw = null;
          }
          const event = parseChatEvent(raw);
          if (!event) {
            // Logged only: the fan-out consumer of this same instance counts it in
            // kafka_malformed_records_total (once per record and instance).
            this.log.warn(
              { partition, offset: message.offset },
              'shared group: malformed record ignored',
            );
            return;
          }
          await this.handle(event);
        },
      })
      .catch((err: unknown) =>
        this.log.error({ err: String(err) }, 'shared consumer failed to start'),
      );
  }

  /** Leaves the group (its partitions go to the other members at once). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
  }

  private async handle(event: NonNullable<ReturnType<typeof parseChatEvent>>): Promise<void> {
    // Thrown on at the end: the offset stays uncommitted and kafkajs fetches the record again.
    await retryWithBackoff(() => this.opts.handler(event), {
      attempts: HANDLER_ATTEMPTS,
      initialDelayMs: HANDLER_RETRY_MS,
      shouldRetry: () => !this.stopping,
      onRetry: (err, attempt) =>
        this.log.warn({ err: String(err), type: event.type, attempt }, 'shared handler failed'),
    });
  }

  /** A group with no committed offsets starts at the topic's current end (see the class note). */
  private async initialiseGroupOffsets(kafka: InstanceType<typeof kafkajs.Kafka>): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({
        groupId: this.opts.groupId,
        topics: [this.opts.topic],
      });
      const parts = committed?.partitions ?? [];
      if (parts.length > 0 && parts.every((p) => p.offset !== '-1')) return;
      const ends = await admin.fetchTopicOffsets(this.opts.topic);
      const missing = ends.filter(
        (e) => !parts.some((p) => p.partition === e.partition && p.offset !== '-1'),
      );
      try {
        await admin.setOffsets({
          groupId: this.opts.groupId,
          topic: this.opts.topic,
          partitions: missing.map((e) => ({ partition: e.partition, offset: e.high })),
        });
        this.log.log({ partitions: missing.length }, 'new shared group starts at the topic end');
      } catch (err) {
        if (isRetriable(err)) throw err;
        // The group has live members: one of them initialised it.
        this.log.debug({ err: String(err) }, 'shared group already active');
      }
    } finally {
      await admin.disconnect();
    }
  }
}
