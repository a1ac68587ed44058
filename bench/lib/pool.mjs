// Load-generator worker processes. They are forked from the orchestrator, which pinned itself
// to the load generator's core, so they inherit that affinity: the server under test keeps its
// own core to itself. Processes rather than threads: separate heaps and event loops, and a
// worker's CPU time is its own.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./loadgen-worker.mjs', import.meta.url));

export class Worker {
  constructor(index, maxLifetimeMs) {
    this.index = index;
    this.nextId = 1;
    this.pending = new Map();
    this.child = fork(WORKER, [], {
      execArgv: ['--max-old-space-size=4096'],
      env: { ...process.env, BENCH_WORKER_MAX_MS: String(maxLifetimeMs) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`worker ${index}: ${m.error}`));
    });
    this.child.on('exit', (code) => {
      for (const p of this.pending.values())
        p.reject(new Error(`worker ${index} exited (${code})`));
      this.pending.clear();
    });
  }

  call(cmd, args = {}, timeoutMs = 600_000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${this.index}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(t), resolve(v)),
        reject: (e) => (clearTimeout(t), reject(e)),
      });
      this.child.send({ id, cmd, args });
    });
  }

  async stop() {
    if (this.child.exitCode !== null) return;
    await this.call('close', {}, 5000).catch(() => undefined);
    await new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      const t = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, 3000);
      this.child.once('exit', () => (clearTimeout(t), resolve()));
    });
  }
}

export class Pool {
  /** n workers speaking `proto` to `url`. */
  static async start(n, { proto, url, maxLifetimeMs = 1_800_000 }) {
    const pool = new Pool();
    pool.workers = Array.from({ length: n }, (_, i) => new Worker(i, maxLifetimeMs));
    await pool.all('init', (w) => ({ workerId: w.index, proto, url }));
    return pool;
  }

  /** Calls every worker; `args` may be a function of the worker. */
  all(cmd, args = {}, timeoutMs) {
    return Promise.all(
      this.workers.map((w) => w.call(cmd, typeof args === 'function' ? args(w) : args, timeoutMs)),
    );
  }

  /** Loadgen CPU over a window: mark(), then cpuSince(mark) gives total ms of CPU and wall. */
  async mark() {
    const r = await this.all('cpu');
    return { cpuMs: r.reduce((a, x) => a + x.cpuMs, 0), wall: performance.now() };
  }

  async cpuSince(mark) {
    const now = await this.mark();
    const cpuMs = now.cpuMs - mark.cpuMs;
    const wallMs = now.wall - mark.wall;
    return { cpuMs, wallMs, pct: (100 * cpuMs) / wallMs };
  }

  async stop() {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
