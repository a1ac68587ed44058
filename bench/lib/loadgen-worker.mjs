// A load-generator process (forked by pool.mjs, pinned with the orchestrator to the load
// generator's core). It holds real WebSocket clients, sends on an open-loop schedule and
// records latencies of its own messages: the send time is embedded in the message content and
// read back by the same process, so there is no clock skew. Every loop is bounded in count and
// in time. Commands arrive over IPC: {id, cmd, args}; answers are {id, ok, result | error}.
import { performance } from 'node:perf_hooks';
import { createClient } from './clients.mjs';
import { Histogram } from './histogram.mjs';

let workerId = 0;
let proto = 'chat';
let url = '';
const conns = []; // {client, rooms: string[], group, open: boolean}
const roomSenders = new Map(); // roomId -> indexes of this worker's conns that send into it
let closes = 0;
let errors = 0;
const errorSamples = [];

// Per step (one measured phase): counts and histograms.
const steps = new Map();
function stepState(step) {
  let s = steps.get(step);
  if (!s) {
    s = {
      recvAll: 0,
      recvOwn: 0,
      lat: new Histogram(),
      latByGroup: new Map(),
      ack: new Histogram(),
      acked: 0,
      ackErrors: 0,
      sentAt: null,
      closesAtStart: closes,
    };
    steps.set(step, s);
  }
  return s;
}

const nowUs = () => Math.round(performance.now() * 1000);

function noteError(err) {
  errors++;
  if (errorSamples.length < 5) errorSamples.push(String(err?.message ?? err));
}

// Marker embedded in content: B~<step>~<worker>~<i>~<intended send time, µs>~padding
function readInt(buf, pos) {
  let v = 0;
  for (;;) {
    const c = buf[pos];
    if (c >= 0x30 && c <= 0x39) {
      v = v * 10 + (c - 0x30);
      pos++;
    } else return [v, pos + 1];
  }
}

function onDelivery(frame, group) {
  const t = nowUs();
  if (typeof frame === 'string') {
    const parts = frame.split('~');
    if (parts[0] !== 'B') return;
    return deliver(Number(parts[1]), Number(parts[2]), Number(parts[4]), t, group);
  }
  const p = frame.indexOf('B~');
  if (p < 0) return;
  let pos = p + 2;
  let step, wid, sentUs;
  [step, pos] = readInt(frame, pos);
  [wid, pos] = readInt(frame, pos);
  [, pos] = readInt(frame, pos);
  [sentUs] = readInt(frame, pos);
  deliver(step, wid, sentUs, t, group);
}

function deliver(step, wid, sentUs, t, group) {
  const s = stepState(step);
  s.recvAll++;
  if (wid === workerId) {
    s.recvOwn++;
    s.lat.record(t - sentUs);
    if (group) {
      let h = s.latByGroup.get(group);
      if (!h) s.latByGroup.set(group, (h = new Histogram()));
      h.record(t - sentUs);
    }
  }
}

function parseCmid(cmid) {
  const [step, wid, i] = String(cmid).split('.').map(Number);
  return { step, wid, i };
}

function onAck(cmid) {
  const t = performance.now();
  const { step, wid, i } = parseCmid(cmid);
  if (wid !== workerId) return;
  const s = stepState(step);
  s.acked++;
  if (s.sentAt) s.ack.record((t - s.sentAt[i]) * 1000);
}

function onAckError(cmid, data) {
  const { step, wid } = parseCmid(cmid);
  if (wid !== workerId || !Number.isFinite(step)) return noteError(JSON.stringify(data));
  stepState(step).ackErrors++;
  noteError(`send refused: ${JSON.stringify(data)}`);
}

async function pooled(items, concurrency, fn) {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const k = next++;
      await fn(items[k], k);
    }
  });
  await Promise.all(runners);
}

// Reconnect storm (scenarios/reconnect.mjs): sockets that remember, per room, the last eventSeq
// they saw; they are dropped, then all reopened at once and resumed with afterEventSeq. Every
// room event is checked against the socket's cursor: the next one in line, a duplicate (at or
// below the cursor) or a gap (past cursor + 1). Times are epoch ms (performance.timeOrigin +
// now), comparable across the worker processes of one machine.
const rsocks = []; // {token, rooms, cursor: Map, subLast: Map, gaps, dups, resumedAt, ...}
const epochMs = () => performance.timeOrigin + performance.now();
let rcloses = 0;
let rtargets = {}; // roomId -> eventSeq a resumed socket has reached

function rTrack(s, roomId, seq) {
  const last = s.cursor.get(roomId);
  if (last === undefined) return; // not subscribed (yet): cannot happen, the answer comes first
  if (seq === last + 1) s.cursor.set(roomId, seq);
  else if (seq <= last) s.dups++;
  else {
    s.gaps += seq - last - 1;
    s.cursor.set(roomId, seq);
  }
  rCheckResumed(s);
}

/** Resumed: answered for every room, and at or past max(target, the answer's lastEventSeq). */
function rCheckResumed(s) {
  if (!s.storm || s.resumedAt !== null) return;
  for (const r of s.rooms) {
    const answered = s.subLast.get(r);
    if (answered === undefined) return;
    if (s.cursor.get(r) < Math.max(answered, rtargets[r] ?? 0)) return;
  }
  s.resumedAt = epochMs();
}

function rClient(s, localAddress) {
  return createClient(proto, {
    url,
    token: s.token,
    localAddress,
    onRoomEvent: (roomId, seq) => rTrack(s, roomId, seq),
    onDelivery: () => undefined,
    onAck: () => undefined,
    onAckError: (ref, data) => noteError(`error frame (${ref}): ${JSON.stringify(data)}`),
    onError: noteError,
    onClose: () => {
      if (s.open) rcloses++;
      s.open = false;
    },
  });
}

const commands = {
  init(a) {
    workerId = a.workerId;
    proto = a.proto;
    url = a.url;
    return { pid: process.pid };
  },

  /**
   * Opens connections: [{token, localAddress, rooms, url?, group?, sender?}]. `group` splits the
   * delivery latencies (e.g. receivers on another instance); `sender: false` only receives.
   */
  async open(a) {
    const t0 = performance.now();
    let opened = 0;
    let failed = 0;
    const deadline = Date.now() + (a.timeoutMs ?? 120_000);
    await pooled(a.conns, a.concurrency ?? 100, async (spec) => {
      if (Date.now() > deadline) {
        failed++;
        return;
      }
      const idx = conns.length;
      const conn = { rooms: spec.rooms ?? [], group: spec.group, open: false };
      conns.push(conn);
      conn.client = createClient(proto, {
        url: spec.url ?? url,
        token: spec.token,
        localAddress: spec.localAddress,
        onDelivery: (frame) => onDelivery(frame, conn.group),
        onAck,
        onAckError,
        onError: noteError,
        onClose: () => {
          if (conn.open) closes++;
          conn.open = false;
        },
      });
      try {
        await conn.client.open();
        conn.open = true;
        opened++;
        if (spec.sender !== false)
          for (const r of conn.rooms) {
            let m = roomSenders.get(r);
            if (!m) roomSenders.set(r, (m = []));
            m.push(idx);
          }
      } catch (err) {
        failed++;
        noteError(err);
      }
    });
    return { opened, failed, ms: performance.now() - t0, errorSamples };
  },

  async subscribe(a) {
    let ok = 0;
    let failed = 0;
    const jobs = [];
    for (const c of conns) if (c.open) for (const r of c.rooms) jobs.push([c, r]);
    await pooled(jobs, a.concurrency ?? 50, async ([c, r]) => {
      try {
        await c.client.subscribe(r);
        ok++;
      } catch (err) {
        failed++;
        noteError(err);
      }
    });
    return { ok, failed, errorSamples };
  },

  /** A round trip (ping/pong) on a sample of connections: proof they are alive. */
  async roundTrip(a) {
    const open = conns.filter((c) => c.open);
    const step = Math.max(1, Math.floor(open.length / (a.sample ?? 100)));
    const sample = open.filter((_, k) => k % step === 0);
    const h = new Histogram();
    let failed = 0;
    await pooled(sample, 20, async (c) => {
      const t = performance.now();
      try {
        await c.client.roundTrip(a.timeoutMs ?? 10000);
        h.record((performance.now() - t) * 1000);
      } catch (err) {
        failed++;
        noteError(err);
      }
    });
    return { tried: sample.length, failed, rtt: h.toJSON() };
  },

  status() {
    return {
      open: conns.filter((c) => c.open).length,
      total: conns.length,
      closes,
      errors,
      errorSamples,
      memory: process.memoryUsage().rss,
    };
  },

  /**
   * Open-loop sends: message i is due at t0 + i / rate, whatever happened to earlier ones; a
   * late send goes out at once and its latency counts from when it was due. Rooms are taken
   * in turn, and within a room the senders rotate over this worker's members.
   * Bounded by count (rate x duration, capped by maxCount) and by time (duration + 5 s).
   */
  async run(a) {
    const s = stepState(a.step);
    const rooms = a.rooms ?? [...roomSenders.keys()];
    const total = Math.min(a.maxCount ?? Infinity, Math.floor((a.rate * a.durationMs) / 1000));
    s.sentAt = new Float64Array(total);
    s.closesAtStart = closes;
    const pad = 'x'.repeat(Math.max(0, (a.contentBytes ?? 100) - 40));
    const turn = new Map();
    const interval = 1000 / a.rate;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now() + 2;
    const hardStop = t0 + a.durationMs + 5000;
    let i = 0;
    let sendFailures = 0;
    let maxLagMs = 0;
    const sendOne = (k, due) => {
      const roomId = rooms[k % rooms.length];
      const members = roomSenders.get(roomId) ?? [];
      if (members.length === 0) return sendFailures++;
      const r = turn.get(roomId) ?? 0;
      turn.set(roomId, r + 1);
      let conn = conns[members[r % members.length]];
      if (!conn.open) conn = members.map((m) => conns[m]).find((c) => c.open);
      if (!conn) return sendFailures++;
      s.sentAt[k] = due;
      const content = `B~${a.step}~${workerId}~${k}~${Math.round(due * 1000)}~${pad}`;
      if (!conn.client.send(roomId, content, `${a.step}.${workerId}.${k}`)) sendFailures++;
    };
    await new Promise((resolve) => {
      const tick = () => {
        const now = performance.now();
        while (i < total && t0 + i * interval <= now) {
          const due = t0 + i * interval;
          if (now - due > maxLagMs) maxLagMs = now - due;
          sendOne(i, due);
          i++;
        }
        if (i >= total || now > hardStop) return resolve();
        setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
      };
      tick();
    });
    const sendWallMs = performance.now() - t0;
    // Acks: wait (bounded) for every send to be answered.
    const ackDeadline = performance.now() + (a.ackTimeoutMs ?? 10000);
    while (s.acked + s.ackErrors < i - sendFailures && performance.now() < ackDeadline)
      await new Promise((r) => setTimeout(r, 10));
    const cpu = process.cpuUsage(cpu0);
    return {
      sent: i - sendFailures,
      planned: total,
      sendFailures,
      acked: s.acked,
      ackErrors: s.ackErrors,
      maxLagMs,
      sendWallMs,
      wallMs: performance.now() - t0,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  },

  counts(a) {
    const s = stepState(a.step);
    return { recvAll: s.recvAll, recvOwn: s.recvOwn, acked: s.acked };
  },

  result(a) {
    const s = stepState(a.step);
    return {
      recvAll: s.recvAll,
      recvOwn: s.recvOwn,
      acked: s.acked,
      ackErrors: s.ackErrors,
      lat: s.lat.toJSON(),
      latByGroup: Object.fromEntries([...s.latByGroup].map(([g, h]) => [g, h.toJSON()])),
      ack: s.ack.toJSON(),
      closes: closes - s.closesAtStart,
      open: conns.filter((c) => c.open).length,
      errors,
      errorSamples,
    };
  },

  /**
   * Reconnect scenario, before the drop: opens [{token, rooms, localAddress}] and subscribes
   * each to its rooms from now (no cursor); the cursor starts at the answer's lastEventSeq.
   */
  async rOpen(a) {
    let opened = 0;
    let failed = 0;
    let subscribed = 0;
    await pooled(a.conns, a.concurrency ?? 100, async (spec) => {
      const s = {
        token: spec.token,
        rooms: spec.rooms,
        cursor: new Map(),
        subLast: new Map(),
        gaps: 0,
        dups: 0,
        open: false,
        storm: false,
        resumedAt: null,
      };
      rsocks.push(s);
      s.client = rClient(s, spec.localAddress);
      try {
        await s.client.open();
        s.open = true;
        opened++;
        for (const r of s.rooms) {
          const d = await s.client.subscribe(r, 30_000);
          if (!s.cursor.has(r)) s.cursor.set(r, d.lastEventSeq);
          subscribed++;
        }
      } catch (err) {
        failed++;
        noteError(err);
      }
    });
    return { opened, failed, subscribed, errorSamples };
  },

  /** Drops every socket from the client side, abruptly (no close handshake). */
  rTerminate() {
    let n = 0;
    for (const s of rsocks) {
      if (s.open) n++;
      s.open = false;
      s.client?.close();
    }
    return { terminated: n };
  },

  /**
   * The storm: reopens every socket (at most `concurrency` handshakes in flight) from
   * `localAddresses`, and right after each opens subscribes it with afterEventSeq = its cursor.
   * Answers when every open was tried; resumption is followed with rStatus.
   */
  async rStorm(a) {
    rtargets = a.targets;
    const connect = new Histogram(); // handshake: TCP + upgrade + auth, from its own start
    const queued = new Histogram(); // storm start -> this socket's handshake began
    let opened = 0;
    let failed = 0;
    const deadline = a.t0 + a.timeoutMs;
    const cpu0 = process.cpuUsage();
    await pooled(rsocks, a.concurrency, async (s, k) => {
      s.storm = true;
      s.subLast.clear();
      if (epochMs() > deadline) {
        failed++;
        return noteError('storm: open not tried before the deadline');
      }
      s.client = rClient(s, a.localAddresses[k % a.localAddresses.length]);
      const t = epochMs();
      queued.record((t - a.t0) * 1000);
      try {
        await s.client.open();
      } catch (err) {
        failed++;
        return noteError(err);
      }
      s.open = true;
      s.connectedAt = epochMs();
      connect.record((s.connectedAt - t) * 1000);
      opened++;
      for (const r of s.rooms)
        s.client
          .subscribe(r, Math.max(1000, deadline - epochMs()), { afterEventSeq: s.cursor.get(r) })
          .then(
            (d) => {
              s.subscribedAt = epochMs();
              s.subLast.set(r, d.lastEventSeq);
              rCheckResumed(s);
            },
            (err) => {
              s.subFailed = (s.subFailed ?? 0) + 1;
              noteError(err);
            },
          );
    });
    const cpu = process.cpuUsage(cpu0);
    return {
      opened,
      failed,
      openedBy: epochMs(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      connect: connect.toJSON(),
      queued: queued.toJSON(),
    };
  },

  /**
   * Where the sockets are: how many resumed (and their times from `t0`), and, against
   * `targets` (a room's eventSeq every socket should have reached), how many events are
   * missing (gaps + short of the target) and doubled.
   */
  rStatus(a) {
    const resume = new Histogram();
    const subscribed = new Histogram();
    let resumed = 0;
    let lastResumedAt = null;
    let atTarget = 0;
    let short = 0; // events short of the target, over the sockets that are back
    let notBack = 0;
    let gaps = 0;
    let dups = 0;
    let subFailed = 0;
    for (const s of rsocks) {
      gaps += s.gaps;
      dups += s.dups;
      subFailed += s.subFailed ?? 0;
      if (s.resumedAt !== null) {
        resumed++;
        resume.record((s.resumedAt - a.t0) * 1000);
        if (lastResumedAt === null || s.resumedAt > lastResumedAt) lastResumedAt = s.resumedAt;
      }
      if (s.subscribedAt && s.connectedAt)
        subscribed.record((s.subscribedAt - s.connectedAt) * 1000);
      // Back: open and answered for every room (before the storm: open).
      const back = s.open && (!s.storm || s.rooms.every((r) => s.subLast.has(r)));
      if (!back) notBack++;
      if (a.targets) {
        let behind = 0;
        for (const r of s.rooms)
          behind += Math.max(0, (a.targets[r] ?? 0) - (s.cursor.get(r) ?? 0));
        if (back) short += behind;
        if (behind === 0) atTarget++;
      }
    }
    return {
      total: rsocks.length,
      open: rsocks.filter((s) => s.open).length,
      resumed,
      lastResumedAt,
      atTarget,
      short,
      notBack,
      gaps,
      dups,
      subFailed,
      closes: rcloses,
      resume: resume.toJSON(),
      subscribed: subscribed.toJSON(),
      errors,
      errorSamples,
    };
  },

  cpu() {
    const u = process.cpuUsage();
    return { cpuMs: (u.user + u.system) / 1000, at: performance.now() };
  },

  close() {
    for (const c of conns) c.client?.close();
    for (const s of rsocks) s.client?.close();
    setTimeout(() => process.exit(0), 200).unref();
    return { closed: conns.length };
  },
};

process.on('message', async (msg) => {
  try {
    const result = await commands[msg.cmd](msg.args ?? {});
    process.send({ id: msg.id, ok: true, result });
  } catch (err) {
    process.send({ id: msg.id, ok: false, error: String(err?.stack ?? err) });
  }
});
process.on('disconnect', () => process.exit(0));
// A worker never outlives its bound: the orchestrator passes the run's maximum lifetime.
setTimeout(() => process.exit(3), Number(process.env.BENCH_WORKER_MAX_MS ?? 1_800_000)).unref();
