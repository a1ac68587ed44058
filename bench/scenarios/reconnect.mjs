// Reconnect storm (issue 16): n sockets (--reconnect-n, 10,000) over rooms of equal size
// (--reconnect-rooms, 1,000 rooms of 10 members, seeded in SQL), each subscribed to its room and
// remembering the last eventSeq it saw. One message per room proves the live path and moves
// every cursor past 0. Then every socket is dropped from the client side, abruptly (terminate,
// no close handshake); while they are away --reconnect-missed messages per room (3) are sent
// over REST: those must not be missed. Then all n reconnect at once (at most
// --reconnect-concurrency handshakes in flight per load-generator worker) and each resumes with
// room.subscribe {afterEventSeq: its cursor}; meanwhile live messages keep arriving
// (--reconnect-live-rate, REST sends/s into random rooms) until every socket resumed or the
// storm's time limit (--reconnect-timeout-ms) passed.
//
// A socket has resumed when it got its room.subscribed answer and every event up to
// max(the room's lastEventSeq when the storm began, the answer's lastEventSeq): its resume time
// counts from the storm's start (so it includes waiting for a handshake slot, the handshake, the
// subscribe and the replay). Every room event is checked against the socket's cursor: a
// duplicate or a gap is counted. At the end each socket must be at its room's final lastEventSeq
// (read from the database), live messages included. Target (ours): all n resumed within 10 s,
// none missing or doubled.
//
// ws and Socket.IO keep no history and have no resume: ours only.
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import pg from 'pg';
import { cpuPressureUs, sleep, sourceAddresses, startImpl } from '../lib/harness.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { request } from '../lib/http-request.mjs';
import { Pool } from '../lib/pool.mjs';
import { dbBackendsCpu, dbTransactions, hardNoFile } from '../lib/servers.mjs';

export const title = 'Reconnect storm';

const TARGET_MS = 10_000;

async function pooled(items, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const k = next++;
        await fn(items[k], k);
      }
    }),
  );
}

/** Number of open descriptors of a process (its sockets, mostly). */
function fdCount(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/**
 * The kernel's count of connections dropped because a listen queue was full (TcpExt
 * ListenOverflows, machine-wide): each one costs its client a SYN retransmit (1 s, then 3 s).
 */
function listenOverflows() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const k = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const names = lines[k].split(/\s+/);
    const values = lines[k + 1].split(/\s+/);
    return Number(values[names.indexOf('ListenOverflows')]);
  } catch {
    return null;
  }
}

async function lastEventSeqs(client, ids) {
  const { rows } = await client.query(
    `SELECT id, last_event_seq FROM rooms WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return Object.fromEntries(rows.map((r) => [r.id, Number(r.last_event_seq)]));
}

export async function run(ctx) {
  const q = ctx.quick;
  const wanted = ctx.opt('reconnect-n', q ? 300 : 10_000);
  // The server holds one descriptor per socket plus ~100 of its own (pool, listeners, stdio).
  const limit = hardNoFile() - 150;
  const nRooms = ctx.opt('reconnect-rooms', q ? 30 : 1000);
  const n = Math.min(wanted, limit);
  const members = Math.ceil(n / nRooms);
  const missed = ctx.opt('reconnect-missed', 3);
  const liveRate = ctx.opt('reconnect-live-rate', q ? 20 : 50);
  const concurrency = ctx.opt('reconnect-concurrency', q ? 50 : 250);
  const timeoutMs = ctx.opt('reconnect-timeout-ms', q ? 20_000 : 60_000);
  const workers = q ? 2 : 4;
  const nUsers = Math.max(members, q ? 10 : 200);
  const notes = [];
  if (n < wanted)
    notes.push(
      `capped at ${n} sockets: this machine's hard RLIMIT_NOFILE is ${hardNoFile()} per process; the server needs one descriptor per socket`,
    );
  if (!ctx.impls.includes('ours')) return { rows: [], notes: ['ours only: nothing to run'] };

  ctx.log(
    `reconnect: ${n} sockets over ${nRooms} rooms of ${members}, ${missed} missed messages per room, storm with ${concurrency} handshakes in flight x ${workers} workers`,
  );
  const server = await startImpl(ctx, 'ours');
  const client = new pg.Client({ connectionString: ctx.db.url });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  let pool = null;
  const out = {};
  try {
    const users = await ctx.fixture.ensureUsers(server.url, nUsers);
    await client.connect();
    // Rooms and memberships straight in the database (9,000 joins one at a time per room would
    // take minutes through the API); room r's members are users[(r * members + k) % nUsers].
    const tag = `rc${Date.now().toString(36)}`;
    const owners = Array.from({ length: nRooms }, (_, r) => users[(r * members) % nUsers].id);
    const { rows: made } = await client.query(
      `INSERT INTO rooms (name, owner_id, is_private, member_count)
       SELECT $1 || '-' || t.n, t.owner, false, $3::int
         FROM unnest($2::uuid[]) WITH ORDINALITY AS t(owner, n) ORDER BY t.n RETURNING id`,
      [tag, owners, members],
    );
    const ids = made.map((r) => r.id);
    const memberOf = (r, k) => users[(r * members + k) % nUsers];
    const mRooms = [];
    const mUsers = [];
    const mRoles = [];
    ids.forEach((id, r) => {
      for (let k = 0; k < members; k++) {
        mRooms.push(id);
        mUsers.push(memberOf(r, k).id);
        mRoles.push(k === 0 ? 'owner' : 'member');
      }
    });
    await client.query(
      `INSERT INTO room_members (room_id, user_id, role)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[])`,
      [mRooms, mUsers, mRoles],
    );
    await client.query('VACUUM (ANALYZE) rooms, room_members');

    // Socket i: room i % nRooms, member floor(i / nRooms) of it.
    const conns = Array.from({ length: n }, (_, i) => {
      const r = i % nRooms;
      return { worker: i % workers, token: memberOf(r, Math.floor(i / nRooms)).token, room: r };
    });
    pool = await Pool.start(workers, {
      proto: 'chat',
      url: server.wsUrl,
      maxLifetimeMs: (q ? 5 : 20) * 60_000,
    });
    const addrs0 = sourceAddresses(n);
    const byWorker = pool.workers.map(() => []);
    conns.forEach((c, i) =>
      byWorker[c.worker].push({
        token: c.token,
        rooms: [ids[c.room]],
        localAddress: addrs0[i % addrs0.length],
      }),
    );
    const fds0 = fdCount(server.pid);
    const t0 = performance.now();
    const opened = await pool.all(
      'rOpen',
      (w) => ({ conns: byWorker[w.index], concurrency: 100 }),
      600_000,
    );
    const sum = (xs, k) => xs.reduce((a, x) => a + x[k], 0);
    out.initial = {
      opened: sum(opened, 'opened'),
      subscribed: sum(opened, 'subscribed'),
      failed: sum(opened, 'failed'),
      ms: performance.now() - t0,
    };
    ctx.log(
      `  opened ${out.initial.opened}/${n}, subscribed ${out.initial.subscribed} in ${(out.initial.ms / 1000).toFixed(1)} s`,
    );
    if (out.initial.subscribed !== n)
      throw new Error(
        `reconnect: ${out.initial.subscribed}/${n} subscribed before the drop: ${opened.flatMap((o) => o.errorSamples).join('; ')}`,
      );

    // One live message per room: every socket sees it, so every cursor is past 0.
    const sendInto = (r, content) =>
      request(agent, `${server.url}/api/rooms/${ids[r]}/messages`, memberOf(r, 0).token, 'POST', {
        content,
      });
    await pooled(ids, 16, (_, r) => sendInto(r, `before the drop ${r}`));
    const before = await lastEventSeqs(client, ids);
    const seenDeadline = performance.now() + 30_000;
    let seen;
    for (;;) {
      seen = await pool.all('rStatus', { t0: 0, targets: before });
      if (sum(seen, 'atTarget') === n || performance.now() > seenDeadline) break;
      await sleep(100);
    }
    out.beforeDrop = { atTarget: sum(seen, 'atTarget'), gaps: sum(seen, 'gaps') };
    if (out.beforeDrop.atTarget !== n)
      throw new Error(`reconnect: only ${out.beforeDrop.atTarget}/${n} saw the live message`);

    // The drop: client side, abrupt. Wait (bounded) until the server has let the sockets go.
    const fdsHeld = fdCount(server.pid);
    await pool.all('rTerminate');
    const dropDeadline = performance.now() + 15_000;
    while (performance.now() < dropDeadline && fdCount(server.pid) > fds0 + 50) await sleep(100);
    out.drop = { fdsBefore: fds0, fdsHeld, fdsAfter: fdCount(server.pid) };

    // While they are away: `missed` messages per room, the ones that must not be missed.
    const t1 = performance.now();
    const offline = [];
    for (let m = 0; m < missed; m++) for (let r = 0; r < nRooms; r++) offline.push([r, m]);
    await pooled(offline, 16, ([r, m]) => sendInto(r, `while away ${m} in ${r}`));
    out.offline = { messages: offline.length, ms: performance.now() - t1 };
    const targets = await lastEventSeqs(client, ids);

    // At rest: nothing connected, nothing sent, 2 s.
    const rest0 = { psi: cpuPressureUs(), server: server.stats(), at: performance.now() };
    await sleep(2000);
    const restMs = performance.now() - rest0.at;
    const psiRest = cpuPressureUs();
    out.rest = {
      cpuPressurePct:
        rest0.psi !== null && psiRest !== null
          ? (100 * (psiRest - rest0.psi)) / 1000 / restMs
          : null,
      serverCpuPct: (100 * (server.stats().cpuMs - rest0.server.cpuMs)) / restMs,
    };

    // The storm.
    ctx.log(`  storm: ${n} sockets reconnect, ${missed} missed events each to catch up on`);
    const addrs = sourceAddresses(n);
    const mark = await pool.mark();
    const s0 = server.stats();
    const d0 = await dbBackendsCpu(ctx.db);
    const psi0 = cpuPressureUs();
    const lo0 = listenOverflows();
    const x0 = await dbTransactions(client);
    const tStorm = performance.now();
    const stormT0 = performance.timeOrigin + tStorm;
    // Live messages during the storm, open loop at a modest rate, until all resumed or timeout.
    let live = true;
    let liveSent = 0;
    let liveFailed = 0;
    const liveLoop = (async () => {
      const inflight = new Set();
      for (let k = 0; live && liveRate > 0; k++) {
        const wait = tStorm + (k * 1000) / liveRate - performance.now();
        if (wait > 0) await sleep(wait);
        if (!live) break;
        const p = sendInto((k * 7919) % nRooms, `live during the storm ${k}`)
          .then(() => liveSent++)
          .catch(() => liveFailed++)
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await Promise.all(inflight);
    })();
    const storm = pool.all(
      'rStorm',
      () => ({
        t0: stormT0,
        targets,
        concurrency,
        localAddresses: addrs,
        timeoutMs,
      }),
      timeoutMs + 60_000,
    );
    const stormDeadline = tStorm + timeoutMs;
    let st;
    let stormRes = null;
    void storm.then((r) => (stormRes = r));
    for (;;) {
      await sleep(100);
      st = await pool.all('rStatus', { t0: stormT0 });
      if (sum(st, 'resumed') === n || performance.now() > stormDeadline) break;
    }
    const wallMs = performance.now() - tStorm;
    const psi1 = cpuPressureUs();
    const lo1 = listenOverflows();
    const s1 = server.stats();
    const d1 = await dbBackendsCpu(ctx.db);
    const cpu = await pool.cpuSince(mark);
    live = false;
    await liveLoop;
    stormRes ??= await storm;

    // Settle: every socket at its room's final lastEventSeq (live messages included).
    const finals = await lastEventSeqs(client, ids);
    const settleDeadline = performance.now() + 15_000;
    let fin;
    let lastShort = -1;
    let lastChange = performance.now();
    for (;;) {
      fin = await pool.all('rStatus', { t0: stormT0, targets: finals });
      const short = sum(fin, 'short');
      if (short === 0 || performance.now() > settleDeadline) break;
      if (short !== lastShort) {
        lastShort = short;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > 3000) break;
      await sleep(100);
    }

    // An idle backend flushes its statistics within 10 s (PostgreSQL 15's idle interval); the
    // quick run does not wait that long, so its transaction count is a lower bound.
    await sleep(q ? 1000 : 11_000);
    const dbXacts = (await dbTransactions(client)) - x0;

    const resume = new Histogram();
    for (const x of st) resume.merge(x.resume);
    const connect = new Histogram();
    const queued = new Histogram();
    for (const x of stormRes) {
      connect.merge(x.connect);
      queued.merge(x.queued);
    }
    const subscribed = new Histogram();
    for (const x of fin) subscribed.merge(x.subscribed);
    const lastResumedAt = Math.max(...st.map((x) => x.lastResumedAt ?? 0));
    const resumed = sum(st, 'resumed');
    out.storm = {
      sockets: n,
      resumed,
      allResumedMs: resumed === n ? lastResumedAt - stormT0 : null,
      wallMs,
      opened: sum(stormRes, 'opened'),
      openFailed: sum(stormRes, 'failed'),
      openedAllMs: Math.max(...stormRes.map((x) => x.openedBy)) - stormT0,
      resume: resume.summaryMs(),
      handshake: connect.summaryMs(),
      queuedForHandshake: queued.summaryMs(),
      subscribeAnswer: subscribed.summaryMs(),
      missing: sum(fin, 'gaps') + sum(fin, 'short'),
      gaps: sum(fin, 'gaps'),
      short: sum(fin, 'short'),
      doubled: sum(fin, 'dups'),
      atFinal: sum(fin, 'atTarget'),
      notBack: sum(fin, 'notBack'),
      subscribeFailed: sum(fin, 'subFailed'),
      closes: sum(fin, 'closes'),
      listenOverflows: lo0 !== null && lo1 !== null ? lo1 - lo0 : null,
      dbTransactions: dbXacts,
      serverCpuMsPerSocket: (s1.cpuMs - s0.cpuMs) / n,
      dbCpuMsPerSocket: d0 && d1 ? (d1.cpuMs - d0.cpuMs) / n : null,
      loadgenCpuMsPerSocket: cpu.cpuMs / n,
      liveSent,
      liveFailed,
      missedEvents:
        Object.values(targets).reduce((a, v) => a + v, 0) -
        Object.values(before).reduce((a, v) => a + v, 0),
      serverCpuPct: (100 * (s1.cpuMs - s0.cpuMs)) / wallMs,
      serverRssMb: s1.rss / 1048576,
      dbCpuPct: d0 && d1 ? (100 * (d1.cpuMs - d0.cpuMs)) / wallMs : null,
      dbBackends: d1?.backends ?? null,
      loadgenCpuPct: cpu.pct,
      cpuPressurePct: psi0 !== null && psi1 !== null ? (100 * (psi1 - psi0)) / 1000 / wallMs : null,
      errors: [...new Set(fin.flatMap((x) => x.errorSamples))].slice(0, 5),
      errorCount: sum(fin, 'errors'),
    };
    const r = out.storm;
    ctx.log(
      `  resumed ${r.resumed}/${n}, all in ${r.allResumedMs === null ? '-' : (r.allResumedMs / 1000).toFixed(2)} s, p50 ${r.resume.p50} p99 ${r.resume.p99} max ${r.resume.max} ms; missing ${r.missing}, doubled ${r.doubled}; server ${r.serverCpuPct.toFixed(0)}%, db ${r.dbCpuPct?.toFixed(0) ?? '-'}%, loadgen ${r.loadgenCpuPct.toFixed(0)}%, cpu pressure ${r.cpuPressurePct?.toFixed(0)}% (at rest ${out.rest.cpuPressurePct?.toFixed(0)}%)`,
    );
  } finally {
    await pool?.stop();
    await client.end().catch(() => undefined);
    agent.destroy();
    await server.stop();
  }

  const r = out.storm;
  const allIn = r.allResumedMs !== null && r.allResumedMs <= TARGET_MS;
  const row = (metric, value, extra = {}) => ({ impl: 'ours', metric, value, ...extra });
  const rows = [
    row('sockets resumed', r.resumed, {
      unit: `/ ${n}`,
      better: 'higher',
      target: n < wanted ? `all ${wanted} (capped)` : `all ${wanted}`,
      pass: r.resumed === n && n >= wanted ? true : r.resumed === n ? undefined : false,
    }),
    row('all resumed in', r.allResumedMs === null ? null : r.allResumedMs / 1000, {
      unit: 's',
      better: 'lower',
      target: '<= 10 s',
      pass: allIn,
    }),
    row('resume p50', r.resume.p50, { unit: 'ms', better: 'lower' }),
    row('resume p99', r.resume.p99, { unit: 'ms', better: 'lower' }),
    row('resume max', r.resume.max, { unit: 'ms', better: 'lower' }),
    row('handshake p99', r.handshake.p99, { unit: 'ms', better: 'lower' }),
    row('subscribe answer p99', r.subscribeAnswer.p99, { unit: 'ms', better: 'lower' }),
    row('all opened in', r.openedAllMs / 1000, { unit: 's', better: 'lower' }),
    row('listen queue overflows', r.listenOverflows, { better: 'lower' }),
    row('events missing', r.missing, { better: 'lower', target: '0', pass: r.missing === 0 }),
    row('events doubled', r.doubled, { better: 'lower', target: '0', pass: r.doubled === 0 }),
    row('sockets not back (open or subscribe failed)', r.notBack, {
      better: 'lower',
      target: '0',
      pass: r.notBack === 0,
    }),
    row('errors (open+subscribe+closed)', r.openFailed + r.subscribeFailed + r.closes, {
      better: 'lower',
    }),
    row('server CPU (storm)', r.serverCpuPct, { unit: '%' }),
    row('db backends CPU (storm)', r.dbCpuPct, { unit: '%' }),
    row('server CPU per socket', r.serverCpuMsPerSocket, { unit: 'ms', better: 'lower' }),
    row('db CPU per socket', r.dbCpuMsPerSocket, { unit: 'ms', better: 'lower' }),
    row('loadgen CPU per socket', r.loadgenCpuMsPerSocket, { unit: 'ms', better: 'lower' }),
    row('db transactions per socket', r.dbTransactions / n, { better: 'lower' }),
    row('loadgen CPU (storm)', r.loadgenCpuPct, { unit: '%' }),
    row('cpu pressure at rest', out.rest.cpuPressurePct, { unit: '%' }),
    row('cpu pressure (storm)', r.cpuPressurePct, { unit: '%' }),
  ];
  notes.push(
    `${n} sockets over ${nRooms} rooms of ${members} (${nUsers} users, many sockets per user), each dropped (client terminate) and resumed with afterEventSeq; ${r.missedEvents} events sent while away (${missed} per room, REST), ${r.liveSent} live sends during the storm (${liveRate}/s, REST)`,
    `storm: at most ${concurrency} handshakes in flight per worker x ${workers} workers; resume time from the storm's start to room.subscribed plus every event up to max(lastEventSeq at the start, the answer's); handshake p50 ${r.handshake.p50} ms, waited for a slot p99 ${r.queuedForHandshake.p99} ms, subscribe answer p50 ${r.subscribeAnswer.p50} ms`,
    "listen queue overflows: TcpExt ListenOverflows over the storm (machine-wide), handshakes the kernel dropped because the server's accept queue was full; each costs its client a SYN retransmit (1 s, then 3 s)",
    `per socket: CPU over the storm / ${n}; db transactions (pg_stat_database, from the storm's start to after settling) / ${n}, the ${r.liveSent} live sends' transactions included`,
    `missing = gaps in eventSeq plus events short of the room's final lastEventSeq after settling, over the sockets that are back (open and answered); ${r.atFinal}/${n} sockets at the final position, ${r.notBack} not back`,
    'ws and Socket.IO keep no history and have no resume: ours only',
  );
  if (r.errors.length) notes.push(`errors: ${r.errors.join('; ')}`);
  return {
    rows,
    notes,
    data: {
      sockets: n,
      wanted,
      rooms: nRooms,
      members,
      missed,
      liveRate,
      concurrency,
      workers,
      per: { ours: out },
    },
    chart: {
      title: `Reconnect storm: ${n.toLocaleString('en-US')} sockets resume`,
      subtitle: `from the storm's start to every missed event received; ${nRooms} rooms x ${members}, ${missed} missed per room`,
      bars: {
        title: 'sockets resumed',
        unit: 'sockets',
        items: [{ impl: 'ours', label: 'ours', value: r.resumed }],
      },
      latency: {
        title: 'resume time',
        series: ['p50', 'p99', 'max'],
        groups: [
          { impl: 'ours', label: 'ours', values: [r.resume.p50, r.resume.p99, r.resume.max] },
        ],
      },
    },
  };
}
