// A private single-node Kafka broker for a benchmark: scripts/kafka.sh with its own data
// directory and ports, the jars from the checkout's .data/kafka/libs (fetched on first use).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, ROOT } from './servers.mjs';

/** A private single-node broker via scripts/kafka.sh (its own data dir and ports). */
export async function startPrivateKafka(ctx = { log: console.log }) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chat-bench-kafka-'));
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    KAFKA_LIBS_DIR: path.join(ROOT, '.data/kafka/libs'),
    KAFKA_PORT: String(await freePort()),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
  };
  ctx.log(`starting a private Kafka broker (scripts/kafka.sh, port ${env.KAFKA_PORT})`);
  const out = execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  }).toString();
  const line = out.split('\n').find((l) => l.startsWith('KAFKA_BROKERS='));
  if (!line) throw new Error(`scripts/kafka.sh start printed no KAFKA_BROKERS line: ${out}`);
  return {
    brokers: line.slice('KAFKA_BROKERS='.length).trim(),
    stop() {
      try {
        execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'stop'], {
          env,
          stdio: 'ignore',
          timeout: 60_000,
        });
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
