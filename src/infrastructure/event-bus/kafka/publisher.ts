// kafkajs is CommonJS: take its exports from the default import (ESM interop).
import kafkajs from 'kafkajs';
import type { Kafka, Message, Producer } from 'kafkajs';

const SEND_TIMEOUT_MS = 5000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      t = setTimeout(
        // retriable, like kafkajs's own timeouts: the broker may answer on the next try.
        () =>
          reject(
            Object.assign(new Error(`kafka ${what} timed out after ${ms} ms`), { retriable: true }),
          ),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(t));
}

/**
 * The producer side of the bus: idempotent, acks=all, one request in flight (a room's records
 * stay in order). After a failure it is dropped (kafkajs's producer can stay disconnected for
 * good after a non-retriable connection error) and the next send connects a fresh one.
 */
export class KafkaPublisher {
  private producer: Promise<Producer> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  /** Connects now (boot), so the first send does not pay for it. */
  async connect(): Promise<void> {
    await withTimeout(this.connected(), SEND_TIMEOUT_MS, 'connect');
  }

  async send(messages: Message[]): Promise<void> {
    try {
      const producer = await withTimeout(this.connected(), SEND_TIMEOUT_MS, 'connect');
      await withTimeout(
        producer.send({ topic: this.topic, acks: -1, messages }),
        SEND_TIMEOUT_MS,
        'send',
      );
    } catch (err) {
      await this.reset();
      throw err;
    }
  }

  async reset(): Promise<void> {
    const old = this.producer;
    this.producer = null;
    if (old) await old.then((p) => p.disconnect()).catch(() => undefined);
  }

  private connected(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        // kafkajs's default since 2.0 (murmur2, like the Java client), named to silence its warning.
        createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
      });
      const connecting = producer.connect().then(() => producer);
      // A failed connect is forgotten, so the next call tries again.
      connecting.catch(() => {
        if (this.producer === connecting) this.producer = null;
      });
      this.producer = connecting;
    }
    return this.producer;
  }
}
