// A Kafka cluster of a test file's own: three KRaft nodes in combined mode (each a controller and a
// broker, one JVM each, through scripts/kafka.sh with the same Maven jars as the single broker),
// on loopback ports of their own and with data under the test's temp directory. For tests that
// kill brokers one by one; the shared single broker other files use stays as it is.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { DedicatedBroker, dedicatedPorts } from './dedicated-broker.js';

export interface ClusterNode {
  id: number;
  /** host:port of this node's broker. */
  address: string;
  broker: DedicatedBroker;
}

export interface PartitionState {
  partition: number;
  /** Node id of the leader; -1 while there is none. */
  leader: number;
  isr: number[];
}

export class KafkaCluster {
  readonly nodes: ClusterNode[];
  /** Every node's broker, comma-separated (what KAFKA_BROKERS takes). */
  readonly brokers: string;
  private readonly dataDir: string;

  /**
   * `slots`: one dedicatedPorts() slot per node (a client and a controller port each), none shared
   * with another file's broker. Node ids are 1..n in slot order.
   */
  constructor(slots: number[]) {
    this.dataDir = mkdtempSync(join(tmpdir(), 'chat-kafka-cluster-'));
    const ports = slots.map((s) => dedicatedPorts(s));
    const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controllerPort}`).join(',');
    this.nodes = ports.map((p, i) => {
      const broker = new DedicatedBroker({
        ...p,
        dataDir: join(this.dataDir, `node-${i + 1}`),
        nodeId: i + 1,
        quorumVoters: voters,
        // several JVMs starting at once on a small machine
        startTimeoutSec: 120,
      });
      return { id: i + 1, address: broker.brokers, broker };
    });
    this.brokers = this.nodes.map((n) => n.address).join(',');
  }

  node(id: number): ClusterNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id} in this cluster`);
    return n;
  }

  /**
   * Starts the given nodes (default: all) together and resolves once each serves clients: a node
   * is only up once a majority of the voters is, so they cannot be started one after the other.
   */
  async start(ids = this.nodes.map((n) => n.id)): Promise<void> {
    await Promise.all(ids.map((id) => this.node(id).broker.start()));
  }

  /** SIGKILL, like a crashed host; its data stays for a restart. */
  async kill(id: number): Promise<void> {
    await this.node(id).broker.stop(true);
  }

  /** Kills every node and deletes the data of all, so the next start() is a fresh cluster. */
  async wipe(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.broker.destroy()));
  }

  /** wipe(), and the temp directory too (afterAll). */
  async destroy(): Promise<void> {
    await this.wipe();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** An admin client on the nodes that are up, for one call (throws while none answers). */
  async withAdmin<T>(fn: (admin: kafkajs.Admin) => Promise<T>): Promise<T> {
    const admin = new kafkajs.Kafka({
      clientId: 'chat-test-cluster',
      brokers: this.nodes.map((n) => n.address),
      logLevel: kafkajs.logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { retries: 2, initialRetryTime: 100 },
    }).admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Leader and in-sync replicas of every partition of the topic, as the cluster reports them. */
  async partitions(topic: string): Promise<PartitionState[]> {
    return this.withAdmin(async (admin) => {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      return (meta.topics[0]?.partitions ?? [])
        .map((p) => ({ partition: p.partitionId, leader: p.leader, isr: [...p.isr] }))
        .sort((x, y) => x.partition - y.partition);
    });
  }

  /** The partition a record keyed `key` goes to (the producer's own partitioner, murmur2). */
  async partitionOf(topic: string, key: string): Promise<number> {
    const parts = await this.partitions(topic);
    return kafkajs.Partitioners.DefaultPartitioner()({
      topic,
      partitionMetadata: parts.map((p) => ({
        partitionId: p.partition,
        leader: p.leader,
        replicas: [],
        isr: p.isr,
        partitionErrorCode: 0,
      })),
      message: { key, value: null },
    });
  }

  async partition(topic: string, partition: number): Promise<PartitionState> {
    const p = (await this.partitions(topic)).find((x) => x.partition === partition);
    if (!p) throw new Error(`topic ${topic} has no partition ${partition}`);
    return p;
  }
}
