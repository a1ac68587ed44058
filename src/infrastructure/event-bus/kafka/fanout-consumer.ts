import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { jittered } from './kafka-client.js';

export interface FanoutConsumerOptions {
  kafka: Kafka;
  topic: string;
  /** `<clientId>.fanout.`: every instance's fan-out groups start with it (see sweepOrphans). */
  groupPrefix: string;
  instanceId: string;
  onRecord(message: KafkaMessage, partition: number): void;
  onLag(partition: number, lag: number): void;
  /** A consumer was given up and is being recreated (for a metric). */
  onRestart?(): void;
  /** How often Empty fan-out groups of dead instances are deleted (default 15 s). */
  sweepIntervalMs?: number;
  /** A consumer that has not joined its group this long after being created is recreated. */
  joinTimeoutMs?: number;
}

export interface FanoutStatus {
  ready: boolean;
  /** The last failure, until the consumer is ready again. */
  error: string | null;
  groupId: string;
}

const SESSION_TIMEOUT_MS = 10_000;
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 5_000;

/**
 * The fan-out consumer: every instance reads the whole events topic, each in a consumer group of
 * its own (a shared group would hand each record to one instance only).
 *
 * No offsets are committed. An instance reads from the topic's end as it was when it started
 * (positions fetched before joining, so everything published after it reports ready is read);
 * what a client missed while it was connected elsewhere comes from the database (resume by
 * afterEventSeq and the subscriptions' gap fill), never from Kafka. So a group is worth nothing
 * once its instance is gone: it is deleted on clean shutdown, and every instance deletes, at start
 * and every sweepIntervalMs, Empty groups with the fan-out prefix (a killed instance's, once its
 * session has expired). A restart leaves no group behind with offsets and a growing lag.
 *
 * Readiness is the group join: once this consumer owns every partition of the topic and its
 * positions are set. Nothing is written to the topic for it.
 *
 * Supervision: kafkajs restarts a crashed consumer only for errors it classifies as retriable, and
 * gives up for good on others (e.g. "Failed to find group coordinator" while a broker is away).
 * Here every crash, a failed connect, or a join that does not happen in time, gets the same
 * answer: the consumer is marked not ready, disconnected and replaced by a new one (in a new
 * group, so the join never waits for the dead member's session) after a jittered back-off, until
 * one joins; the positions this process had read up to are kept in memory and sought to, so
 * records published while the consumer was away (the outbox's, after a broker outage) are read.
 */
export class FanoutConsumer {
  private readonly log = new Logger('FanoutConsumer');
  private consumer: Consumer | null = null;
  private currentGroup = '';
  /** The next offset to read, per partition: the start positions, then what was read. */
  private readonly positions = new Map<number, string>();
  private partitionCount = 0;
  private generation = 0;
  private failures = 0;
  private ready = false;
  private lastError: string | null = null;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private joinTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readyWaiters: (() => void)[] = [];

  constructor(private readonly opts: FanoutConsumerOptions) {}

  status(): FanoutStatus {
    return {
      ready: this.ready,
      error: this.ready ? null : this.lastError,
      groupId: this.currentGroup,
    };
  }

  /** Starts consuming in the background (see whenReady) and the orphan group sweep. */
  start(): void {
    void this.run();
    void this.sweepOrphans();
    this.sweepTimer = setInterval(
      () => void this.sweepOrphans(),
      this.opts.sweepIntervalMs ?? 15_000,
    );
    this.sweepTimer.unref();
  }

  /** Resolves once ready; rejects after timeoutMs with the last failure. */
  async whenReady(timeoutMs: number): Promise<void> {
    if (this.ready) return;
    let timer: NodeJS.Timeout | undefined;
    let waiter: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        waiter = resolve;
        this.readyWaiters.push(resolve);
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `kafka consumer not ready after ${timeoutMs} ms${this.lastError ? `: ${this.lastError}` : ''}`,
              ),
            ),
          timeoutMs,
        );
      });
    } finally {
      clearTimeout(timer);
      this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
    }
  }

  /** Leaves the group and deletes it: nothing of this instance stays on the broker. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ready = false;
    for (const t of [this.restartTimer, this.joinTimer]) if (t) clearTimeout(t);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const consumer = this.consumer;
    this.consumer = null;
    if (!consumer) return;
    await consumer.disconnect().catch(() => undefined);
    await this.deleteGroups([this.currentGroup]).catch((err: unknown) =>
      this.log.warn(
        { err: String(err), groupId: this.currentGroup },
        'could not delete fan-out group',
      ),
    );
  }

  private async run(): Promise<void> {
    const gen = ++this.generation;
    const groupId = `${this.opts.groupPrefix}${this.opts.instanceId}.${randomBytes(4).toString('hex')}`;
    try {
      if (this.partitionCount === 0) await this.initPositions();
      if (this.stopped || gen !== this.generation) return;
      const consumer = this.opts.kafka.consumer({
        groupId,
        sessionTimeout: SESSION_TIMEOUT_MS,
        rebalanceTimeout: SESSION_TIMEOUT_MS,
        heartbeatInterval: 1000,
        allowAutoTopicCreation: false,
        maxWaitTimeInMs: 500,
        // Never kafkajs's own restart: every crash comes to fail() (see the class note).
        retry: {
          retries: 3,
          initialRetryTime: 200,
          maxRetryTime: 2000,
          restartOnFailure: async () => false,
        },
      });
      this.consumer = consumer;
      this.currentGroup = groupId;
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        if (gen === this.generation) this.onJoin(consumer, e.payload.memberAssignment);
      });
      consumer.on(consumer.events.CRASH, (e) => this.fail(gen, e.payload.error, 'crashed'));
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) =>
        this.opts.onLag(e.payload.partition, Number(e.payload.offsetLag)),
      );
      this.joinTimer = setTimeout(
        () => this.fail(gen, new Error('no group join in time'), 'did not join its group'),
        this.opts.joinTimeoutMs ?? 30_000,
      );
      this.joinTimer.unref();
      await consumer.connect();
      await consumer.subscribe({ topics: [this.opts.topic], fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: 1,
        eachMessage: async ({ partition, message }) => {
          if (gen !== this.generation) return;
          this.positions.set(partition, (BigInt(message.offset) + 1n).toString());
          this.opts.onRecord(message, partition);
        },
      });
    } catch (err) {
      this.fail(gen, err, 'could not start');
    }
  }

  /** This process's start positions: the topic's end now, before the first join. */
  private async initPositions(): Promise<void> {
    const admin = this.opts.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(this.opts.topic);
      for (const e of ends) this.positions.set(e.partition, e.high);
      this.partitionCount = ends.length;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private onJoin(consumer: Consumer, assignment: Record<string, number[]>): void {
    const partitions = assignment[this.opts.topic] ?? [];
    // Synchronously, before kafkajs's first fetch of this generation: where to read from.
    for (const partition of partitions) {
      const offset = this.positions.get(partition);
      if (offset !== undefined) consumer.seek({ topic: this.opts.topic, partition, offset });
    }
    if (partitions.length < this.partitionCount) {
      this.log.warn(
        { assigned: partitions.length, partitions: this.partitionCount },
        'fan-out consumer joined without every partition',
      );
      return;
    }
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.joinTimer = null;
    if (!this.ready && this.failures > 0)
      this.log.log(
        { groupId: this.currentGroup, failures: this.failures },
        'kafka consumer recovered',
      );
    this.ready = true;
    this.lastError = null;
    this.failures = 0;
    for (const w of this.readyWaiters.splice(0)) w();
  }

  /** Gives the consumer of generation `gen` up and schedules a new one (see the class note). */
  private fail(gen: number, err: unknown, what: string): void {
    if (this.stopped || gen !== this.generation) return;
    this.generation++; // whatever the old consumer still reports is stale from here on
    this.ready = false;
    this.lastError = String(err);
    this.failures++;
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.joinTimer = null;
    const old = this.consumer;
    this.consumer = null;
    void old?.disconnect().catch(() => undefined);
    const delayMs = jittered(Math.min(RESTART_MIN_MS * 2 ** (this.failures - 1), RESTART_MAX_MS));
    this.log.error(
      { err: this.lastError, attempt: this.failures, delayMs },
      `kafka consumer ${what}; recreating it`,
    );
    this.opts.onRestart?.();
    this.restartTimer = setTimeout(() => void this.run(), delayMs);
    this.restartTimer.unref();
  }

  /**
   * Deletes Empty fan-out groups (this prefix, not this instance's current one): left by an
   * instance that was killed, or by a consumer of ours that was replaced. A live group has
   * members and is never Empty; one deleted in the instant it is recreated is just created again.
   */
  private async sweepOrphans(): Promise<void> {
    if (this.stopped) return;
    const admin = this.opts.kafka.admin();
    try {
      await admin.connect();
      const { groups } = await admin.listGroups();
      const candidates = groups
        .map((g) => g.groupId)
        .filter((id) => id.startsWith(this.opts.groupPrefix) && id !== this.currentGroup);
      if (candidates.length === 0) return;
      const described = await admin.describeGroups(candidates);
      const empty = described.groups
        .filter((g) => (g.state === 'Empty' || g.state === 'Dead') && g.members.length === 0)
        .map((g) => g.groupId);
      if (empty.length === 0) return;
      const deleted = await this.deleteGroupsWith(admin, empty);
      if (deleted.length > 0)
        this.log.log({ groups: deleted }, 'deleted fan-out groups of gone consumers');
    } catch (err) {
      this.log.debug({ err: String(err) }, 'fan-out group sweep failed; next round retries');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async deleteGroups(ids: string[]): Promise<void> {
    const admin = this.opts.kafka.admin();
    await admin.connect();
    try {
      const deleted = await this.deleteGroupsWith(admin, ids);
      if (deleted.length < ids.length) throw new Error('the broker refused to delete the group');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** The ids actually deleted (a group that got a member meanwhile is refused, and kept). */
  private async deleteGroupsWith(
    admin: ReturnType<Kafka['admin']>,
    ids: string[],
  ): Promise<string[]> {
    try {
      const res = await admin.deleteGroups(ids);
      return res.filter((r) => !r.error || r.errorCode === 0).map((r) => r.groupId);
    } catch (err) {
      // KafkaJSDeleteGroupsError lists each group's outcome.
      const groups = (err as { groups?: { groupId: string; errorCode?: number }[] }).groups;
      if (!groups) throw err;
      return groups.filter((g) => !g.errorCode).map((g) => g.groupId);
    }
  }
}
