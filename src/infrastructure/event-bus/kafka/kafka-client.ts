import type { Logger } from '@nestjs/common';
// kafkajs is CommonJS: take its exports from the default import (ESM interop).
import kafkajs from 'kafkajs';
import type { Kafka, KafkaConfig } from 'kafkajs';

/** A kafkajs client whose own log lines go through the application's logger (JSON, like ours). */
export function createKafka(config: KafkaConfig, log: Logger): Kafka {
  return new kafkajs.Kafka({
    ...config,
    logCreator:
      () =>
      ({ level, namespace, log: entry }) => {
        const { message, ...rest } = entry;
        const text = `kafkajs [${namespace}] ${message}`;
        if (level <= kafkajs.logLevel.ERROR) log.error({ ...rest }, text);
        else if (level === kafkajs.logLevel.WARN) log.warn({ ...rest }, text);
        else log.debug({ ...rest }, text);
      },
  });
}

/** Waits `ms` give or take a fifth, so instances that failed together do not retry in step. */
export function jittered(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}
