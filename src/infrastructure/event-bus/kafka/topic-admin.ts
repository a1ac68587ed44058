import type { Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  /** The topic's min.insync.replicas; null: the broker's default. */
  minInsyncReplicas: number | null;
}

/**
 * Fewer brokers are up than the topic needs replicas. A cluster still starting looks exactly like
 * one too small for good, so it is "not yet" (retriable): the caller's deadline turns it into
 * "never".
 */
export class NotEnoughBrokersError extends Error {
  readonly retriable = true;
  constructor(replicationFactor: number, brokers: number) {
    super(`replication factor ${replicationFactor} refused with ${brokers} brokers up so far`);
    this.name = 'NotEnoughBrokersError';
  }
}

const isInvalidReplicationFactor = (err: unknown): boolean =>
  typeof err === 'object' &&
  err !== null &&
  ((err as { type?: unknown }).type === 'INVALID_REPLICATION_FACTOR' ||
    ((err as { errors?: unknown }).errors instanceof Array &&
      (err as { errors: unknown[] }).errors.some(isInvalidReplicationFactor)));

/** The bus's administrative calls on its topic. */
export class TopicAdmin {
  constructor(
    private readonly kafka: Kafka,
    private readonly spec: TopicSpec,
  ) {}

  /** Creates the topic unless it exists; true if it was created here. */
  async ensureTopic(): Promise<boolean> {
    return this.withAdmin(async (admin) => {
      // Asked first: creating an existing topic works but kafkajs logs the refusal as an error.
      if ((await admin.listTopics()).includes(this.spec.topic)) return false;
      const { topic, numPartitions, replicationFactor, minInsyncReplicas } = this.spec;
      // A fresh cluster answers INVALID_REPLICATION_FACTOR (which kafkajs calls final) until
      // enough of its brokers have registered: wait for them instead of giving up.
      const enoughBrokers = async () => {
        const { brokers } = await admin.describeCluster();
        if (brokers.length < replicationFactor)
          throw new NotEnoughBrokersError(replicationFactor, brokers.length);
      };
      await enoughBrokers();
      const created = admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions,
            replicationFactor,
            configEntries:
              minInsyncReplicas === null
                ? []
                : [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
          },
        ],
      });
      return created.catch(async (err: unknown) => {
        // The controller counts brokers registered with it, which this broker may not know of yet.
        if (!isInvalidReplicationFactor(err)) throw err;
        const { brokers } = await admin.describeCluster();
        throw new NotEnoughBrokersError(replicationFactor, brokers.length);
      });
    });
  }

  /**
   * Whether the broker can take writes to the topic now: every partition has a leader. Asked
   * while publishing is failing, instead of writing a probe record other consumers would read.
   */
  async writable(): Promise<boolean> {
    return this.withAdmin(async (admin) => {
      const meta = await admin.fetchTopicMetadata({ topics: [this.spec.topic] });
      const parts = meta.topics[0]?.partitions ?? [];
      return parts.length > 0 && parts.every((p) => p.leader >= 0);
    });
  }

  private async withAdmin<T>(fn: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
