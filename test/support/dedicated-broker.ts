// A Kafka broker of one test file's own (scripts/kafka-broker.mjs with its own ports and data
// directory), for tests that stop or kill the broker: the shared one other files use stays up.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from './service-process.js';

interface BrokerScript {
  startBroker(o: { env: Record<string, string> }): Promise<string>;
  stopBroker(o: { env: Record<string, string>; kill?: boolean }): Promise<string>;
  brokerStatus(o: { env: Record<string, string> }): Promise<{ running: boolean; text: string }>;
}

// The script records "which broker is ours" in process.env (for the jest global setup and
// teardown, which may share this process when jest runs in band): keep those untouched.
const SCRIPT_ENV_KEYS = ['KAFKA_BROKERS', 'KAFKA_BROKERS_LOCAL', 'KAFKA_BROKERS_LOCAL_STARTED'];

async function preservingEnv<T>(fn: () => Promise<T>): Promise<T> {
  const saved = SCRIPT_ENV_KEYS.map((k) => [k, process.env[k]] as const);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function script(): Promise<BrokerScript> {
  // A computed specifier: the .mjs has no type declarations; BrokerScript is what we use of it.
  const path = join(REPO_ROOT, 'scripts', 'kafka-broker.mjs');
  return (await import(path)) as BrokerScript;
}

/** Slots per Jest worker: a file's slot must stay below this. */
const SLOTS_PER_WORKER = 10;

/**
 * The Jest worker running this file (1 when run in band): files run two at a time, and one file
 * may run in two projects at once (broker-outage in kafka and in kafka-all-modules), so each
 * worker has its own block of ports and its own broker directories.
 */
function jestWorker(): number {
  return Math.max(1, Number(process.env.JEST_WORKER_ID ?? 1));
}

/**
 * Ports for a test file's dedicated broker: slot n (0-9) of this Jest worker's block is
 * base + 2n (and + 2n + 1 for its controller), where base is KAFKA_PORT when set (runs given
 * different ports never meet), else 19190, plus 20 per worker after the first. Each file that
 * starts a dedicated broker takes a slot of its own.
 */
export function dedicatedPorts(slot: number): { port: number; controllerPort: number } {
  if (slot < 0 || slot >= SLOTS_PER_WORKER) throw new Error(`dedicated broker slot ${slot} > 9`);
  const base =
    (process.env.KAFKA_PORT ? Number(process.env.KAFKA_PORT) : 19190) +
    2 * SLOTS_PER_WORKER * (jestWorker() - 1);
  return { port: base + 2 * slot, controllerPort: base + 2 * slot + 1 };
}

export interface DedicatedBrokerOptions {
  port: number;
  controllerPort: number;
  /**
   * The broker lives in <dataDir>-w<Jest worker>/kafka; that directory is deleted by destroy().
   */
  dataDir: string;
  /** For a node of a cluster (see KafkaCluster): its id and every voter, id@host:port,... */
  nodeId?: number;
  quorumVoters?: string;
  /** Seconds scripts/kafka.sh waits for the broker to serve clients (default 60). */
  startTimeoutSec?: number;
}

export class DedicatedBroker {
  readonly brokers: string;
  readonly env: Record<string, string>;
  private readonly dataDir: string;

  constructor(opts: DedicatedBrokerOptions) {
    if (resolve(opts.dataDir) === resolve(REPO_ROOT, '.data'))
      throw new Error('a dedicated broker needs a data directory of its own, not .data');
    this.dataDir = `${opts.dataDir}-w${jestWorker()}`;
    this.brokers = `127.0.0.1:${opts.port}`;
    this.env = {
      KAFKA_PORT: String(opts.port),
      KAFKA_CONTROLLER_PORT: String(opts.controllerPort),
      DATA_DIR: this.dataDir,
      // The jars the shared broker fetched: no second Maven download.
      KAFKA_LIBS_DIR: process.env.KAFKA_LIBS_DIR ?? join(REPO_ROOT, '.data', 'kafka', 'libs'),
      KAFKA_STOP_TIMEOUT: '10',
      ...(opts.nodeId !== undefined ? { KAFKA_NODE_ID: String(opts.nodeId) } : {}),
      ...(opts.quorumVoters ? { KAFKA_QUORUM_VOTERS: opts.quorumVoters } : {}),
      ...(opts.startTimeoutSec ? { KAFKA_START_TIMEOUT: String(opts.startTimeoutSec) } : {}),
    };
  }

  /** Starts it (or finds it running); resolves once it serves clients. */
  async start(): Promise<void> {
    const s = await script();
    const brokers = await preservingEnv(() => s.startBroker({ env: this.env }));
    if (brokers !== this.brokers)
      throw new Error(`dedicated broker answered on ${brokers}, expected ${this.brokers}`);
  }

  /** Graceful stop (SIGTERM, bounded); `kill` sends SIGKILL at once. Data is kept. */
  async stop(kill = false): Promise<void> {
    const s = await script();
    await preservingEnv(() => s.stopBroker({ env: this.env, kill }));
  }

  async running(): Promise<boolean> {
    const s = await script();
    return (await preservingEnv(() => s.brokerStatus({ env: this.env }))).running;
  }

  /** Stops it and deletes its data directory (afterAll; also before a run, for a clean start). */
  async destroy(): Promise<void> {
    await this.stop(true).catch(() => undefined);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
