import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { ChatMetrics } from '../../metrics/chat-metrics.js';

/**
 * The Kafka bus's own series (outbox, publishing, consuming), registered on the app's registry by
 * the Kafka driver only: on the in-process bus they are absent from /metrics, not zeros that
 * look like a healthy relay.
 */
/** Seconds: fine below 25 ms, where a healthy bus's delays are. */
const BUS_DELAY_BUCKETS = [
  0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30,
];

@Injectable()
export class KafkaMetrics {
  readonly outboxBacklog: Gauge;
  readonly outboxOldestAge: Gauge;
  readonly consumerLag: Gauge;
  readonly publishLatency: Histogram;
  readonly recordAge: Histogram;
  readonly publishDelay: Histogram;
  readonly publishFailures: Counter;
  readonly malformedRecords: Counter;
  readonly skippedRecords: Counter;
  readonly consumerRestarts: Counter;

  constructor(metrics: ChatMetrics) {
    const registers = [metrics.registry];
    this.outboxBacklog = new Gauge({
      name: 'chat_outbox_backlog',
      help: 'Events in the outbox not yet acknowledged by Kafka',
      registers,
    });
    this.outboxOldestAge = new Gauge({
      name: 'chat_outbox_oldest_age_seconds',
      help: 'Relay lag: age of the oldest event still waiting in the outbox',
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'kafka_consumer_lag',
      help: "Records this instance's consumer is behind the topic's end, summed over partitions",
      registers,
    });
    this.publishLatency = new Histogram({
      name: 'kafka_publish_duration_seconds',
      help: 'Time for Kafka to acknowledge a batch of events (acks=all)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    this.recordAge = new Histogram({
      name: 'kafka_record_age_seconds',
      help: "Age of a record this instance decodes, from its producer's timestamp (the bus's delay; across hosts as good as their clocks)",
      buckets: BUS_DELAY_BUCKETS,
      registers,
    });
    this.publishDelay = new Histogram({
      name: 'kafka_room_event_publish_delay_seconds',
      help: "From a room event's creation in the database to this instance handing it to Kafka: the append's transaction and the relay's queue (the database's and this host's clocks)",
      buckets: BUS_DELAY_BUCKETS,
      registers,
    });
    this.publishFailures = new Counter({
      name: 'kafka_publish_failures_total',
      help: 'Times publishing to Kafka failed and the outbox took over',
      registers,
    });
    this.malformedRecords = new Counter({
      name: 'kafka_malformed_records_total',
      help: 'Records on the events topic that failed validation and were skipped',
      registers,
    });
    this.skippedRecords = new Counter({
      name: 'kafka_skipped_records_total',
      help: 'Records dropped undecoded: no subscriber on this instance wants them (another room)',
      registers,
    });
    this.consumerRestarts = new Counter({
      name: 'kafka_consumer_restarts_total',
      help: 'Times the fan-out consumer was given up (crash, failed connect, no join) and recreated',
      registers,
    });
  }
}
