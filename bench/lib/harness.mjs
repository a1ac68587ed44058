// What every scenario shares: starting one implementation (server + load-generator pool),
// laying connections out over workers and source addresses, and running one measured open-loop
// phase with its settle, loss count and CPU accounting.
import { readFileSync } from 'node:fs';
import { Histogram } from './histogram.mjs';
import { Pool } from './pool.mjs';
import { dbBackendsCpu, startBaseline, startOurs } from './servers.mjs';

export const IMPLS = ['ours', 'ws', 'socketio'];
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let addressBlock = 0;
/**
 * Source addresses for one implementation run: 127.<block>.0.<2..>, a fresh block per run so
 * sockets still in TIME_WAIT from the previous run never collide, and enough addresses that
 * no (source address, destination) pair needs more than ~10,000 ephemeral ports.
 */
export function sourceAddresses(nConns) {
  addressBlock = (addressBlock % 250) + 1;
  const n = Math.max(4, Math.ceil(nConns / 10_000) + 1);
  return Array.from({ length: n }, (_, k) => `127.${addressBlock}.0.${2 + k}`);
}

export function protoOf(ctx, impl) {
  if (impl === 'socketio') return ctx.sioClient === 'official' ? 'sio-official' : 'sio';
  return 'chat';
}

/** Starts the implementation's server (ours on the bench database) and answers it. */
export async function startImpl(ctx, impl, opts = {}) {
  if (impl === 'ours')
    return startOurs(ctx.db, {
      logDir: ctx.logDir,
      profileDir: ctx.profile ? ctx.profileDir : undefined,
      label: `${ctx.scenario}`,
      ...opts,
    });
  return startBaseline(impl, { logDir: ctx.logDir });
}

/**
 * Opens `conns` ([{worker, token, rooms, group?, sender?}]) from `pool`, each with a source
 * address, and subscribes them to their rooms.
 */
export async function connect(pool, conns, { subscribe = true, concurrency = 100 } = {}) {
  const addrs = sourceAddresses(conns.length);
  const byWorker = pool.workers.map(() => []);
  conns.forEach((c, i) =>
    byWorker[c.worker % pool.workers.length].push({ ...c, localAddress: addrs[i % addrs.length] }),
  );
  const t0 = performance.now();
  const opened = await pool.all(
    'open',
    (w) => ({ conns: byWorker[w.index], concurrency }),
    600_000,
  );
  const openMs = performance.now() - t0;
  const out = {
    opened: opened.reduce((a, r) => a + r.opened, 0),
    failed: opened.reduce((a, r) => a + r.failed, 0),
    openMs,
    errors: [...new Set(opened.flatMap((r) => r.errorSamples))].slice(0, 5),
    addresses: addrs.length,
  };
  if (subscribe) {
    const subs = await pool.all('subscribe', { concurrency: 50 }, 600_000);
    out.subscribed = subs.reduce((a, r) => a + r.ok, 0);
    out.subscribeFailed = subs.reduce((a, r) => a + r.failed, 0);
    out.errors.push(...subs.flatMap((r) => r.errorSamples));
    out.errors = [...new Set(out.errors)].slice(0, 5);
  }
  return out;
}

/**
 * The rooms a scenario sends in, each with its members' tokens: for ours, `nRooms` rooms of
 * `members` made through the API from `nUsers` users; for the baselines (no accounts, any room
 * id), ids under `prefix`.
 */
export async function benchRooms(ctx, impl, server, { nRooms, members, nUsers, tag, prefix }) {
  if (impl === 'ours') {
    const users = await ctx.fixture.ensureUsers(server.url, nUsers);
    return ctx.fixture.rooms(server.url, { rooms: nRooms, membersPerRoom: members, users, tag });
  }
  const stamp = Date.now();
  return Array.from({ length: nRooms }, (_, r) => ({
    id: `${prefix}-${stamp}-${r}`,
    members: Array.from({ length: members }, () => ({ token: 'bench' })),
  }));
}

/**
 * Opens a connection for every member of every room, subscribed to its room, room r's members
 * on worker r % workers (so each copy is timed by the process that sent it); throws unless all
 * are subscribed.
 */
export async function connectMembers(pool, rooms, workers, label) {
  const conns = rooms.flatMap((room, r) =>
    room.members.map((u) => ({ worker: r % workers, token: u.token, rooms: [room.id] })),
  );
  const c = await connect(pool, conns);
  if (c.subscribed !== conns.length)
    throw new Error(`${label}: ${c.subscribed}/${conns.length} subscribed: ${c.errors.join('; ')}`);
  return c;
}

/**
 * Linux CPU pressure (PSI): total µs during which some runnable task waited for a CPU. Over a
 * phase, delta / wall time says how much the machine was oversubscribed (other jobs running
 * beside the benchmark): near 0 on a quiet machine.
 */
export function cpuPressureUs() {
  try {
    return Number(/some .*total=(\d+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))[1]);
  } catch {
    return null;
  }
}

let stepCounter = 1;

/**
 * One measured phase: every worker sends `rateOf(worker)` messages/s for `durationMs`, open
 * loop; then the phase settles until every expected delivery arrived (acked sends x
 * `roomSize`), nothing moved for a second, or `settleMs` passed.
 */
export async function phase(
  pool,
  server,
  db,
  {
    rateOf,
    durationMs,
    roomSize,
    settleMs = 5000,
    contentBytes = 100,
    ackTimeoutMs = 10000,
    maxCount,
  },
) {
  const step = stepCounter++;
  const mark = await pool.mark();
  const s0 = server?.stats();
  const d0 = db && server?.impl === 'ours' ? await dbBackendsCpu(db) : null;
  const psi0 = cpuPressureUs();
  const t0 = performance.now();
  const runs = await pool.all(
    'run',
    (w) => ({ step, rate: rateOf(w), durationMs, contentBytes, ackTimeoutMs, maxCount }),
    durationMs + ackTimeoutMs + 60_000,
  );
  const acked = runs.reduce((a, r) => a + r.acked, 0);
  const expected = acked * roomSize;
  const settleDeadline = performance.now() + settleMs;
  let last = -1;
  let lastChange = performance.now();
  while (performance.now() < settleDeadline) {
    const c = await pool.all('counts', { step });
    const received = c.reduce((a, x) => a + x.recvAll, 0);
    if (received >= expected) break;
    if (received !== last) {
      last = received;
      lastChange = performance.now();
    } else if (performance.now() - lastChange > 1000) break;
    await sleep(50);
  }
  const wallMs = performance.now() - t0;
  const psi1 = cpuPressureUs();
  const results = await pool.all('result', { step });
  const cpu = await pool.cpuSince(mark);
  const s1 = server?.stats();
  const d1 = d0 ? await dbBackendsCpu(db) : null;
  const lat = new Histogram();
  const ack = new Histogram();
  const byGroup = {};
  for (const r of results) {
    lat.merge(r.lat);
    ack.merge(r.ack);
    for (const [g, h] of Object.entries(r.latByGroup ?? {}))
      (byGroup[g] ??= new Histogram()).merge(h);
  }
  const received = results.reduce((a, r) => a + r.recvAll, 0);
  const sent = runs.reduce((a, r) => a + r.sent, 0);
  const planned = runs.reduce((a, r) => a + r.planned, 0);
  return {
    step,
    offeredRate: planned / (durationMs / 1000),
    durationMs,
    planned,
    sent,
    acked,
    ackErrors: results.reduce((a, r) => a + r.ackErrors, 0),
    sendFailures: runs.reduce((a, r) => a + r.sendFailures, 0),
    expected,
    received,
    lost: Math.max(0, expected - received),
    closes: results.reduce((a, r) => a + r.closes, 0),
    ackedPerSec: acked / (durationMs / 1000),
    deliveriesPerSec: received / (durationMs / 1000),
    maxScheduleLagMs: Math.max(...runs.map((r) => r.maxLagMs)),
    latency: lat.summaryMs(),
    ackLatency: ack.summaryMs(),
    latencyByGroup: Object.fromEntries(Object.entries(byGroup).map(([g, h]) => [g, h.summaryMs()])),
    loadgenCpuPct: cpu.pct,
    serverCpuPct: s0 && s1 ? (100 * (s1.cpuMs - s0.cpuMs)) / wallMs : null,
    dbCpuPct: d0 && d1 ? (100 * (d1.cpuMs - d0.cpuMs)) / wallMs : null,
    // Costs over the phase and its settling, for per-message figures that noise barely moves.
    serverCpuMs: s0 && s1 ? s1.cpuMs - s0.cpuMs : null,
    dbCpuMs: d0 && d1 ? d1.cpuMs - d0.cpuMs : null,
    dbTransactions: d0 && d1 ? d1.transactions - d0.transactions : null,
    serverRssMb: s1 ? s1.rss / 1048576 : null,
    cpuPressurePct: psi0 !== null && psi1 !== null ? (100 * (psi1 - psi0)) / 1000 / wallMs : null,
    errors: [...new Set(results.flatMap((r) => r.errorSamples))].slice(0, 5),
  };
}

/** Spreads a total rate over the workers that have senders. */
export function splitRate(total, nWorkers) {
  return () => total / nWorkers;
}

export async function withPool(n, proto, url, fn) {
  const pool = await Pool.start(n, { proto, url });
  try {
    return await fn(pool);
  } finally {
    await pool.stop();
  }
}

/**
 * Raises the offered rate by `factor` per step until a step fails `check` (which answers a
 * list of reasons). A failed step is run once more before it counts: on a shared machine a
 * single p99 can be another process's doing. After the confirmed failure, one refinement step
 * runs between the last rate that held and it. Bounded by maxSteps and budgetMs.
 */
export async function rampUp({ startRate, factor, maxSteps, budgetMs, runStep, check, log }) {
  const steps = [];
  const t0 = performance.now();
  let rate = startRate;
  let retried = false;
  for (let k = 0; k < maxSteps && performance.now() - t0 < budgetMs; k++) {
    const r = await runStep(rate);
    const fail = check(r);
    r.pass = fail.length === 0;
    r.failure = fail.join('; ') || null;
    r.retry = retried;
    steps.push(r);
    log(r, rate);
    if (r.pass) {
      retried = false;
      rate *= factor;
    } else if (!retried) retried = true;
    else break;
  }
  const last = steps[steps.length - 1];
  const confirmed = last && !last.pass ? last : null;
  // One more step halfway (geometrically) between the last rate that held and the one that
  // failed twice, for a finer figure than the ramp's factor.
  const held = steps.filter((s) => s.pass);
  if (confirmed && held.length && performance.now() - t0 < budgetMs) {
    const lo = held.reduce((a, b) => (b.offeredRate > a.offeredRate ? b : a)).offeredRate;
    const mid = Math.sqrt(lo * confirmed.offeredRate);
    const r = await runStep(mid);
    const fail = check(r);
    r.pass = fail.length === 0;
    r.failure = fail.join('; ') || null;
    r.refinement = true;
    steps.push(r);
    log(r, mid);
  }
  const passed = steps.filter((s) => s.pass);
  const best = passed.length
    ? passed.reduce((a, b) => (b.offeredRate > a.offeredRate ? b : a))
    : null;
  return { steps, best, firstFailure: confirmed, limitReached: !!confirmed };
}
