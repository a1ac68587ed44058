// Node wrapper around scripts/kafka.sh (local single-node Kafka for dev and
// tests). Node builtins only, so a jest globalSetup can import it as is:
//
//   // test/global-setup.mjs
//   import { ensureBroker } from '../scripts/kafka-broker.mjs';
//   export default async () => { await ensureBroker(); };
//   // test/global-teardown.mjs
//   import { stopBrokerIfStarted } from '../scripts/kafka-broker.mjs';
//   export default async () => { await stopBrokerIfStarted(); };
//
// ensureBroker() uses KAFKA_BROKERS when the caller set it (an external
// broker); otherwise it starts (or reuses) the local broker and sets
// process.env.KAFKA_BROKERS, which jest workers started afterwards inherit.
// All functions take an optional { env } merged over process.env for the
// script (KAFKA_PORT, KAFKA_CONTROLLER_PORT, DATA_DIR, KAFKA_START_TIMEOUT,
// KAFKA_STOP_TIMEOUT, ...).
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KAFKA_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'kafka.sh');

// Set on process.env by startBroker so that later calls (and jest workers)
// can tell "our" broker from one the user pointed KAFKA_BROKERS at.
const MANAGED = 'KAFKA_BROKERS_LOCAL';
const STARTED = 'KAFKA_BROKERS_LOCAL_STARTED';

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000; // a cold Maven fetch can be slow

function run(command, { env, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      KAFKA_SCRIPT,
      [command],
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        if (error && !(command === 'status' && code === 3)) {
          const detail = String(stderr || stdout || error.message).trim();
          const err = new Error(
            `scripts/kafka.sh ${command} failed (exit ${code ?? error.signal ?? error.code}): ${detail}`,
          );
          err.code = code;
          err.stderr = String(stderr);
          reject(err);
          return;
        }
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

function brokersFrom(stdout) {
  const m = /^KAFKA_BROKERS=(\S+)$/m.exec(stdout);
  if (!m) throw new Error(`scripts/kafka.sh start printed no KAFKA_BROKERS line:\n${stdout}`);
  return m[1];
}

function localBrokers(env) {
  const port = env?.KAFKA_PORT ?? process.env.KAFKA_PORT ?? '19092';
  return `127.0.0.1:${port}`;
}

/** Copies the broker jars into .data/kafka/libs if needed (mvn). */
export async function fetchBroker(options) {
  await run('fetch', options);
}

/** { running, pid, text } of the local broker. */
export async function brokerStatus(options) {
  const { code, stdout } = await run('status', { timeoutMs: 30_000, ...options });
  const pid = /pid (\d+)/.exec(stdout);
  return { running: code === 0, pid: pid ? Number(pid[1]) : undefined, text: stdout.trim() };
}

/**
 * Starts the local broker (fetching jars and formatting storage on first
 * use) and resolves to its brokers string, e.g. "127.0.0.1:19092". A broker
 * that is already running is reused. Sets process.env.KAFKA_BROKERS.
 */
export async function startBroker(options) {
  const before = await brokerStatus(options);
  const { stdout } = await run('start', options);
  const brokers = brokersFrom(stdout);
  process.env.KAFKA_BROKERS = brokers;
  process.env[MANAGED] = '1';
  if (!before.running) process.env[STARTED] = '1';
  return brokers;
}

/**
 * KAFKA_BROKERS if the caller set it (external broker, nothing is started),
 * else startBroker().
 */
export async function ensureBroker(options) {
  const external = process.env.KAFKA_BROKERS;
  if (external && process.env[MANAGED] !== '1') return external;
  return startBroker(options);
}

/**
 * Stops the local broker: SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT
 * (15 s); { kill: true } sends SIGKILL at once, like a crash. Data is kept,
 * so startBroker() afterwards brings the same topics and offsets back.
 * Resolves to the brokers string of the stopped broker.
 */
export async function stopBroker({ kill = false, ...options } = {}) {
  await run(kill ? 'kill' : 'stop', { timeoutMs: 60_000, ...options });
  delete process.env[STARTED];
  return process.env[MANAGED] === '1' && process.env.KAFKA_BROKERS
    ? process.env.KAFKA_BROKERS
    : localBrokers(options.env);
}

/** SIGKILL the local broker (simulated crash); same as stopBroker({ kill: true }). */
export async function killBroker(options) {
  return stopBroker({ ...options, kill: true });
}

/**
 * For a globalTeardown: stops the broker only if startBroker()/ensureBroker()
 * in this process started it (a broker a developer left running stays up).
 * Resolves to the brokers string it stopped, or undefined.
 */
export async function stopBrokerIfStarted(options) {
  if (process.env[STARTED] !== '1') return undefined;
  return stopBroker(options);
}

// CLI: node scripts/kafka-broker.mjs ensure|start|stop|kill|status
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cmd = process.argv[2] ?? 'ensure';
  const actions = {
    ensure: ensureBroker,
    start: startBroker,
    stop: stopBroker,
    kill: killBroker,
    fetch: fetchBroker,
    status: async () => (await brokerStatus()).text,
  };
  const action = actions[cmd];
  if (!action) {
    console.error(`usage: node scripts/kafka-broker.mjs ${Object.keys(actions).join('|')}`);
    process.exit(2);
  }
  action().then(
    (out) => out !== undefined && console.log(out),
    (err) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
