// kafkajs is CommonJS: take its exports from the default import (ESM interop).
import kafkajs from 'kafkajs';
import type { Message as KafkaRecord } from 'kafkajs';

/**
 * The broker the global setup started (or KAFKA_BROKERS given to `npm test`). Throws the setup's
 * explanation when there is none, so the Kafka suites fail with a message saying what to do.
 */
export function testBrokers(): string {
  const err = process.env.KAFKA_SETUP_ERROR;
  if (err) throw new Error(err);
  const brokers = process.env.KAFKA_TEST_BROKERS;
  if (!brokers)
    throw new Error(
      'no Kafka broker: run the kafka project through `npm test`, or set KAFKA_BROKERS',
    );
  return brokers;
}

function kafkaClient(brokers: string, clientId: string) {
  return new kafkajs.Kafka({
    clientId,
    brokers: brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 200 },
  });
}

/** Puts records on a topic as they are, bypassing the service (e.g. malformed ones). */
export async function produceRaw(
  brokers: string,
  topic: string,
  records: KafkaRecord[],
): Promise<void> {
  const producer = kafkaClient(brokers, 'chat-test-raw').producer({
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: records });
  } finally {
    await producer.disconnect();
  }
}

/** The topics the cluster has now. */
export async function listTopics(brokers: string): Promise<string[]> {
  const admin = kafkaClient(brokers, 'chat-test-admin').admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Best-effort removal of a test's topics (afterAll); never throws. */
export async function deleteTopics(brokers: string, topics: string[]): Promise<void> {
  const admin = kafkaClient(brokers, 'chat-test-admin').admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics, timeout: 5000 });
  } catch {
    /* the topic may be gone, or the broker with it */
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
