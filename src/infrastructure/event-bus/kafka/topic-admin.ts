import type { Kafka } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
}

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
      return admin.createTopics({ waitForLeaders: true, topics: [{ ...this.spec }] });
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
