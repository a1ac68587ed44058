// The built service (`node dist/src/main.js`) as a separate OS process, configured by env the way
// operators run it: for tests where several instances share PostgreSQL and Kafka, and one of them
// may be stopped, killed or cut off from the broker.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/free-port.mjs';
import { waitFor } from './wait.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN_JS = join(REPO_ROOT, 'dist/src/main.js');

/** Keeps this much of a process's output (the newest part) for assertions and failure reports. */
const MAX_OUTPUT_CHARS = 4 * 1024 * 1024;

export { freePort };

/** One signing secret for all instances of a test, so a token from one works on the other. */
export function newJwtSecret(): string {
  return randomBytes(32).toString('hex'); // 64 characters
}

/** A Kafka topic of the test file's own, so concurrent files and runs never see each other. */
export function uniqueTopic(prefix: string): string {
  return `chat.test.${prefix}.${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export interface StartServiceOptions {
  /** Shows in failure reports and becomes INSTANCE_ID. */
  name: string;
  brokers: string;
  topic: string;
  jwtSecret: string;
  /**
   * Default: the run's migrated database (DATABASE_URL from the global setup). Note that the
   * outbox table is not per topic: instances on other topics sharing a database (test files run
   * in parallel) would sweep each other's records.
   */
  databaseUrl?: string;
  /** More configuration, over the defaults below (a value of undefined removes a default). */
  env?: Record<string, string | undefined>;
  readyTimeoutMs?: number;
  /** Called with the process as soon as it is spawned, before it is ready (to watch its boot). */
  onSpawn?: (svc: ServiceProcess) => void;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<ServiceProcess>();
// Whatever happens to the test process, no service outlives it.
process.once('exit', () => {
  for (const s of live) s.child.kill('SIGKILL');
});

export class ServiceProcess {
  private chunks: string[] = [];
  private chars = 0;
  private exitStatus: ExitStatus | null = null;
  readonly exited: Promise<ExitStatus>;
  readonly baseUrl: string;
  readonly wsUrl: string;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly child: ChildProcess,
    private readonly dataDir: string,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.wsUrl = `ws://127.0.0.1:${port}/ws`;
    const capture = (stream: string) => (buf: Buffer) => this.append(stream, buf.toString());
    child.stdout?.on('data', capture('out'));
    child.stderr?.on('data', capture('err'));
    // 'close' (not 'exit'): the output is complete by then.
    this.exited = new Promise((res) => {
      child.once('close', (code, signal) => {
        this.exitStatus = { code, signal };
        live.delete(this);
        rmSync(this.dataDir, { recursive: true, force: true });
        res(this.exitStatus);
      });
    });
    live.add(this);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitStatus === null;
  }

  /** Everything the process wrote to stdout and stderr (the newest 4 MiB). */
  output(): string {
    return this.chunks.join('');
  }

  /** Output lines containing `text`. */
  lines(text: string): string[] {
    return this.output()
      .split('\n')
      .filter((l) => l.includes(text));
  }

  /** The last `n` output lines, labelled, for failure reports. */
  tail(n = 60): string {
    const lines = this.output().trimEnd().split('\n').slice(-n);
    const state = this.exitStatus
      ? `exited code=${this.exitStatus.code} signal=${this.exitStatus.signal}`
      : 'running';
    return `---- ${this.name} (pid ${this.pid}, port ${this.port}, ${state}): last ${lines.length} lines ----\n${lines.join('\n')}`;
  }

  /** Resolves once GET /health/ready answers 200; fails early if the process exits. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    let last = 'no answer';
    await waitFor(
      async () => {
        if (!this.running) throw new Error(`${this.name} exited before it was ready`);
        try {
          const res = await fetch(`${this.baseUrl}/health/ready`, {
            signal: AbortSignal.timeout(3000),
          });
          last = `${res.status} ${await res.text()}`;
          return res.status === 200;
        } catch (err) {
          if (!this.running) throw err;
          last = String(err);
          return false;
        }
      },
      `${this.name} to report ready`,
      { timeoutMs, intervalMs: 200, describe: () => last },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${this.tail()}`);
    });
  }

  /** SIGTERM (graceful shutdown), then SIGKILL if it is still running after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<ExitStatus> {
    if (!this.running) return this.exitStatus!;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.exited,
      new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
    if (done) return done;
    this.note(`${this.name} still running ${timeoutMs} ms after SIGTERM; SIGKILL`);
    return this.kill();
  }

  /** SIGKILL: the instance dies at once, like a crashed host. */
  async kill(): Promise<ExitStatus> {
    if (!this.running) return this.exitStatus!;
    this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Adds a line of the test's own to the output (shown in failure reports). */
  note(text: string): void {
    this.append('test', `[test] ${text}\n`);
  }

  private append(stream: string, text: string): void {
    const s = stream === 'err' ? text.replace(/^(?=.)/gm, '[stderr] ') : text;
    this.chunks.push(s);
    this.chars += s.length;
    while (this.chars > MAX_OUTPUT_CHARS && this.chunks.length > 1) {
      this.chars -= this.chunks.shift()!.length;
    }
  }
}

/**
 * Spawns `node dist/src/main.js` (build first: `npm run build`) on a free port against the run's
 * migrated database and the given broker and topic, and waits until /health/ready is 200.
 */
export async function startService(opts: StartServiceOptions): Promise<ServiceProcess> {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build first`);
  const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set (the jest global setup sets it)');
  // A port taken between freePort() and the child's listen (another worker's pick) is not the
  // test's failure: start again on another one, twice at most.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort(), databaseUrl, opts);
    } catch (err) {
      if (attempt === 3 || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
}

async function startOn(
  port: number,
  databaseUrl: string,
  opts: StartServiceOptions,
): Promise<ServiceProcess> {
  // Its own working directory too: no developer .env is picked up, nothing lands in the repo.
  const dataDir = mkdtempSync(join(tmpdir(), `chat-${opts.name}-`));
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    DB_MIGRATIONS_RUN: 'false', // the global setup migrated the run's database
    DB_POOL_SIZE: '8', // others share this PostgreSQL server
    DB_GENERIC_PLAN_POOL_SIZE: '2',
    KAFKA_BROKERS: opts.brokers,
    KAFKA_TOPIC: opts.topic,
    INSTANCE_ID: opts.name,
    LOG_LEVEL: 'warn',
    JWT_SECRET: opts.jwtSecret,
    DATA_DIR: dataDir,
    // Load tests come from one address and a handful of users.
    RATE_LIMIT_HTTP_PER_MIN: '1000000',
    RATE_LIMIT_WS_PER_SEC: '100000',
    RATE_LIMIT_WS_BURST: '100000',
    // The run's database is shared: only the instances of a test about scheduled messages send
    // them (StartServiceOptions.env turns it on), never another file's rows.
    SCHEDULED_SENDER_ENABLED: 'false',
    // The module flags of the run (the *-all-modules projects turn every module on).
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => k.startsWith('FEATURE_') || k === 'ADMIN_USERNAMES',
      ),
    ),
    ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: dataDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const svc = new ServiceProcess(opts.name, port, child, dataDir);
  child.once('error', (err) => svc.note(`spawn error: ${String(err)}`));
  opts.onSpawn?.(svc);
  try {
    await svc.waitReady(opts.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await svc.kill();
    throw err;
  }
  return svc;
}

/** Starts several instances side by side. If one fails, the others are stopped. */
export async function startServices(list: StartServiceOptions[]): Promise<ServiceProcess[]> {
  const results = await Promise.allSettled(list.map((o) => startService(o)));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await stopAll(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<ServiceProcess>).value);
}

/** For afterAll: stops every given instance (graceful, bounded), ignoring ones already gone. */
export async function stopAll(services: (ServiceProcess | undefined)[]): Promise<void> {
  await Promise.all(
    services.map(async (s) => {
      if (s) await s.stop().catch(() => s.kill());
    }),
  );
}

/**
 * Wraps a test body: when it fails, the error carries the tail of every instance's output (and
 * of anything `extra` describes), so a failure in CI shows what the services logged.
 */
export function withServiceLogs(
  services: () => (ServiceProcess | undefined)[],
  fn: () => Promise<void>,
  extra?: () => string,
): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (err) {
      const logs = services()
        .flatMap((s) => (s ? [s.tail()] : []))
        .join('\n');
      const more = extra ? `\n${extra()}` : '';
      if (err instanceof Error) {
        err.message = `${err.message}\n\n${logs}${more}`;
        throw err;
      }
      throw new Error(`${String(err)}\n\n${logs}${more}`, { cause: err });
    }
  };
}
