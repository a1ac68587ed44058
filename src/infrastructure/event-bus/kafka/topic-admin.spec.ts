import { describe, expect, it } from '@jest/globals';
import type { Kafka } from 'kafkajs';
import { isTransientKafkaError } from '../retry.js';
import { NotEnoughBrokersError, TopicAdmin } from './topic-admin.js';

/** A kafkajs client whose admin answers from a script (a unit: no broker). */
function fakeKafka(opts: { brokers: number[]; createTopics?: () => Promise<boolean> }) {
  const created: unknown[] = [];
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    listTopics: async () => [] as string[],
    describeCluster: async () => ({
      brokers: opts.brokers.map((nodeId) => ({ nodeId, host: 'h', port: 1 })),
    }),
    createTopics: async (req: unknown) => {
      created.push(req);
      return opts.createTopics ? opts.createTopics() : true;
    },
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, created };
}

const spec = { topic: 't', numPartitions: 3, replicationFactor: 3, minInsyncReplicas: 2 };

describe('TopicAdmin.ensureTopic', () => {
  it('creates the topic with its replication factor and min.insync.replicas', async () => {
    const { kafka, created } = fakeKafka({ brokers: [1, 2, 3] });
    await expect(new TopicAdmin(kafka, spec).ensureTopic()).resolves.toBe(true);
    expect(created).toEqual([
      {
        waitForLeaders: true,
        topics: [
          {
            topic: 't',
            numPartitions: 3,
            replicationFactor: 3,
            configEntries: [{ name: 'min.insync.replicas', value: '2' }],
          },
        ],
      },
    ]);
  });

  it('leaves min.insync.replicas to the broker when it is not configured', async () => {
    const { kafka, created } = fakeKafka({ brokers: [1] });
    await new TopicAdmin(kafka, {
      ...spec,
      replicationFactor: 1,
      minInsyncReplicas: null,
    }).ensureTopic();
    expect(created).toMatchObject([{ topics: [{ replicationFactor: 1, configEntries: [] }] }]);
  });

  it('a cluster with fewer brokers up than replicas: "not yet", retriable, nothing created', async () => {
    const { kafka, created } = fakeKafka({ brokers: [1, 2] });
    const err = await new TopicAdmin(kafka, spec).ensureTopic().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotEnoughBrokersError);
    expect(isTransientKafkaError(err)).toBe(true);
    expect(created).toEqual([]);
  });

  it("the controller's INVALID_REPLICATION_FACTOR (brokers still registering) is retriable too", async () => {
    const refusal = Object.assign(new Error('Topic creation errors'), {
      name: 'KafkaJSAggregateError',
      errors: [
        Object.assign(new Error('Replication-factor is invalid'), {
          type: 'INVALID_REPLICATION_FACTOR',
          retriable: false,
        }),
      ],
    });
    const { kafka } = fakeKafka({
      brokers: [1, 2, 3],
      createTopics: () => Promise.reject(refusal),
    });
    const err = await new TopicAdmin(kafka, spec).ensureTopic().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotEnoughBrokersError);
    expect(isTransientKafkaError(err)).toBe(true);
  });

  it('other refusals stay what they are', async () => {
    const denied = Object.assign(new Error('Topic authorization failed'), {
      type: 'TOPIC_AUTHORIZATION_FAILED',
      retriable: false,
    });
    const { kafka } = fakeKafka({ brokers: [1, 2, 3], createTopics: () => Promise.reject(denied) });
    await expect(new TopicAdmin(kafka, spec).ensureTopic()).rejects.toBe(denied);
  });
});
