import { ServerKafka, type KafkaOptions } from '@nestjs/microservices';
import type { Consumer } from 'kafkajs';

export interface ConsumerObserver {
  onJoin(): void;
  onCrash(err: unknown): void;
  onLag(partition: number, lag: number): void;
}

/** How often the consumed positions are committed (off the fetch loop). */
const COMMIT_INTERVAL_MS = 500;

/**
 * Nest's Kafka server (the @nestjs/microservices transport on kafkajs) with the consumer's
 * group-join, crash and lag events reported to the bus for readiness and metrics.
 *
 * Offsets: kafkajs's autoCommit awaits an OffsetCommit round trip after every batch, inside the
 * fetch loop; at a few hundred records a second that queueing was most of the cross-instance
 * latency (bench:bus p50 33 ms → 2.7 ms without it). So the consumer runs with autoCommit off
 * and this class commits the processed positions every COMMIT_INTERVAL_MS beside the loop. A
 * consumer that crashes and restarts (broker outage) resumes from there, at most that much
 * behind; what it sees twice the subscriptions drop by seq.
 */
export class ChatKafkaServer extends ServerKafka {
  private readonly processed = new Map<
    string,
    { topic: string; partition: number; offset: string }
  >();
  private commitTimer: NodeJS.Timeout | null = null;

  constructor(
    options: KafkaOptions['options'],
    private readonly observer: ConsumerObserver,
  ) {
    super(options ?? {});
  }

  override registerConsumerEventListeners(): void {
    super.registerConsumerEventListeners();
    const consumer = this.kafkaConsumer();
    if (!consumer) return;
    consumer.on(consumer.events.GROUP_JOIN, () => this.observer.onJoin());
    consumer.on(consumer.events.CRASH, (e) => this.observer.onCrash(e.payload.error));
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const { topic, partition, lastOffset, offsetLag } = e.payload;
      this.processed.set(`${topic}:${partition}`, {
        topic,
        partition,
        offset: (BigInt(lastOffset) + 1n).toString(), // the next record to read
      });
      this.observer.onLag(partition, Number(offsetLag));
    });
    if (!this.commitTimer) {
      this.commitTimer = setInterval(() => void this.commitProcessed(), COMMIT_INTERVAL_MS);
      this.commitTimer.unref();
    }
  }

  override async close(): Promise<void> {
    if (this.commitTimer) clearInterval(this.commitTimer);
    this.commitTimer = null;
    await super.close();
  }

  private async commitProcessed(): Promise<void> {
    const consumer = this.kafkaConsumer();
    if (!consumer || this.processed.size === 0) return;
    const offsets = [...this.processed.values()];
    this.processed.clear();
    try {
      await consumer.commitOffsets(offsets);
    } catch {
      // Broker away or the group rebalancing: keep them for the next round unless newer ones came.
      for (const o of offsets) {
        const key = `${o.topic}:${o.partition}`;
        if (!this.processed.has(key)) this.processed.set(key, o);
      }
    }
  }

  private kafkaConsumer(): Consumer | null {
    return (this as unknown as { consumer: Consumer | null }).consumer;
  }
}
