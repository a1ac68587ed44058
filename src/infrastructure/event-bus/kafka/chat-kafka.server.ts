import { ServerKafka, type KafkaOptions } from '@nestjs/microservices';
import type { Consumer } from 'kafkajs';

export interface ConsumerObserver {
  onJoin(): void;
  onCrash(err: unknown): void;
  onLag(partition: number, lag: number): void;
}

/**
 * Nest's Kafka server (the @nestjs/microservices transport on kafkajs) with the consumer's
 * group-join, crash and lag events reported to the bus for readiness and metrics.
 */
export class ChatKafkaServer extends ServerKafka {
  constructor(
    options: KafkaOptions['options'],
    private readonly observer: ConsumerObserver,
  ) {
    super(options ?? {});
  }

  override registerConsumerEventListeners(): void {
    super.registerConsumerEventListeners();
    const consumer = (this as unknown as { consumer: Consumer | null }).consumer;
    if (!consumer) return;
    consumer.on(consumer.events.GROUP_JOIN, () => this.observer.onJoin());
    consumer.on(consumer.events.CRASH, (e) => this.observer.onCrash(e.payload.error));
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) =>
      this.observer.onLag(e.payload.partition, Number(e.payload.offsetLag)),
    );
  }
}
