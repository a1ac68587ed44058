// Sidebar: one user in 1,000 rooms with traffic (messages in every room, mentions of the user in
// some, the user's marker somewhere behind in most, the rooms' last activity spread over the
// past hours), then GET /api/users/me/rooms pages of 50 (the first page and a later one by
// cursor), open loop, taking turns with a cheap request in the same loop (GET /api/users/me: the
// baseline, same auth and HTTP path, one row by key), while messages keep arriving in the user's
// rooms (--sidebar-traffic-rate, sends/s over REST); then the same requests one at a time, the
// sends still going. Target (ours): p99 <= 10 ms, shown for both. Then the
// cost of a read marker against a send: POST /rooms/:id/read and POST /rooms/:id/messages taking
// turns, one at a time, so neither waits for the other. Target: room.read p50 <= send p50.
import http from 'node:http';
import pg from 'pg';
import { seedRoomsOfTwo } from '../lib/ours-setup.mjs';
import { cpuPressureUs, sleep, startImpl } from '../lib/harness.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { request } from '../lib/http-request.mjs';

export const title = 'Sidebar';

/**
 * Open loop: requests due at t0 + k / rate; latency counts from when each was due. `fn(k)`
 * answers a promise, or [kind, promise] to record request k in the histogram of that kind.
 */
async function openLoop(rate, durationMs, fn) {
  const hs = {};
  let errors = 0;
  const total = Math.floor((rate * durationMs) / 1000);
  const t0 = performance.now() + 2;
  const pending = new Set();
  for (let k = 0; k < total; k++) {
    const due = t0 + (k * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const r = fn(k);
    const [kind, req] = Array.isArray(r) ? r : ['all', r];
    const h = (hs[kind] ??= new Histogram());
    const p = req
      .then(() => h.record((performance.now() - due) * 1000))
      .catch(() => errors++)
      .finally(() => pending.delete(p));
    pending.add(p);
  }
  await Promise.all(pending);
  const by = Object.fromEntries(Object.entries(hs).map(([k, h]) => [k, h.summaryMs()]));
  return { latency: by.all ?? by.page, by, errors, requests: total };
}

export async function run(ctx) {
  const q = ctx.quick;
  const nRooms = ctx.opt('sidebar-rooms', q ? 200 : 1000);
  const perRoom = ctx.opt('sidebar-messages', q ? 5 : 20);
  const rate = ctx.opt('sidebar-rate', q ? 50 : 200);
  const durationMs = q ? 1500 : ctx.opt('sidebar-duration-ms', 15_000);
  const pairs = ctx.opt('sidebar-read-pairs', q ? 100 : 1000);
  const trafficRate = ctx.opt('sidebar-traffic-rate', q ? 5 : 20);
  const turns = ctx.opt('sidebar-turns', q ? 40 : 1000);
  const server = await startImpl(ctx, 'ours');
  const client = new pg.Client({ connectionString: ctx.db.url });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const out = {};
  try {
    // Users of its own: the pool's are in earlier scenarios' rooms too.
    const [me, other] = await ctx.fixture.freshUsers(server.url, 2, 'sb');
    await client.connect();
    // The rooms straight in the database (the API would take minutes of argon2-free but
    // one-by-one requests); memberships, messages and mentions as the send path stores them.
    ctx.log(`sidebar: ${nRooms} rooms x ${perRoom} messages for one user`);
    const tag = `sb${Date.now().toString(36)}`;
    const ids = await seedRoomsOfTwo(client, { tag, owner: other, member: me, n: nRooms });
    await client.query(
      `INSERT INTO messages (room_id, seq, event_seq, user_id, content, type)
       SELECT r, g, g, $2::uuid, 'sidebar message ' || g || ' @' || $3, 'text'
         FROM unnest($1::uuid[]) r, generate_series(1, $4::int) g`,
      [ids, other.id, me.username, perRoom],
    );
    // One room in ten mentions the user in every other message.
    await client.query(
      `INSERT INTO message_mentions (room_id, seq, user_id)
       SELECT r, g, $2::uuid FROM unnest($1::uuid[]) WITH ORDINALITY AS t(r, n), generate_series(1, $3::int) g
        WHERE n % 10 = 0 AND g % 2 = 0`,
      [ids, me.id, perRoom],
    );
    // Only the messages are seeded, not their room events: the log starts after them. The user
    // has read half of every room.
    await client.query(
      `UPDATE rooms SET last_seq = $2, last_event_seq = $2, last_activity_at = clock_timestamp()
        WHERE id = ANY($1::uuid[])`,
      [ids, perRoom],
    );
    await client.query(
      `UPDATE room_members SET last_read_seq = $3 WHERE room_id = ANY($1::uuid[]) AND user_id = $2`,
      [ids, me.id, Math.floor(perRoom / 2)],
    );
    // The rooms' last activity spread over the past (room n, n x 30 s ago), as a user's rooms
    // are: not all active in the same second.
    await client.query(
      `UPDATE rooms r SET last_activity_at = now() - t.n * interval '30 seconds'
         FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n) WHERE r.id = t.id`,
      [ids],
    );
    await client.query('VACUUM (ANALYZE) rooms, room_members, messages, message_mentions');

    const base = `${server.url}/api/users/me/rooms?limit=50`;
    const first = await request(agent, base, me.token, 'GET');
    if (first.items.length !== 50 || !first.nextCursor)
      throw new Error(`sidebar page of ${first.items.length}`);
    const later = `${base}&cursor=${first.nextCursor}`;
    const cheap = `${server.url}/api/users/me`;
    // Pages (first and later in turn) and the baseline take turns: each at `rate`.
    const page = (k) =>
      k % 2
        ? ['baseline', request(agent, cheap, me.token, 'GET')]
        : ['page', request(agent, k % 4 ? later : base, me.token, 'GET')];
    // Traffic: sends into the user's rooms (from the other member), round robin from the top.
    let sent = 0;
    let sendErrors = 0;
    let traffic = true;
    const trafficDone = (async () => {
      const t0 = performance.now();
      for (let k = 0; traffic && trafficRate > 0; k++) {
        const wait = t0 + (k * 1000) / trafficRate - performance.now();
        if (wait > 1) await sleep(wait);
        request(
          agent,
          `${server.url}/api/rooms/${ids[(k * 37) % ids.length]}/messages`,
          other.token,
          'POST',
          {
            content: `traffic ${k}`,
          },
        ).then(
          () => sent++,
          () => sendErrors++,
        );
      }
    })();
    await openLoop(2 * rate, q ? 300 : 2000, page); // warm-up
    const psi0 = cpuPressureUs();
    const t0 = performance.now();
    out.sidebar = await openLoop(2 * rate, durationMs, page);
    out.cpuPressurePct =
      psi0 !== null ? (100 * (cpuPressureUs() - psi0)) / 1000 / (performance.now() - t0) : null;
    const b = out.sidebar.by.baseline;
    ctx.log(
      `  sidebar: p50 ${out.sidebar.latency.p50} ms, p99 ${out.sidebar.latency.p99} ms; baseline p50 ${b.p50} ms, p99 ${b.p99} ms; ${sent} sends so far; cpu pressure ${out.cpuPressurePct?.toFixed(0)}%`,
    );

    // The same requests one at a time, taking turns (first page, baseline, later page,
    // baseline), the traffic still going: what a user's sidebar request costs without a queue
    // of 400 requests/s in front of it. The open loop above measures that queue as well.
    const turnsH = { page: new Histogram(), baseline: new Histogram() };
    for (let k = 0; k < turns; k++) {
      const t = performance.now();
      const [kind, req] = page(k);
      await req;
      turnsH[kind].record((performance.now() - t) * 1000);
    }
    out.turns = { page: turnsH.page.summaryMs(), baseline: turnsH.baseline.summaryMs(), turns };
    traffic = false;
    await trafficDone;
    out.traffic = { rate: trafficRate, sent, errors: sendErrors };
    ctx.log(
      `  one at a time: page p50 ${out.turns.page.p50} p99 ${out.turns.page.p99} ms; baseline p50 ${out.turns.baseline.p50} p99 ${out.turns.baseline.p99} ms`,
    );

    // Marker against send, alternating, one request at a time.
    const readH = new Histogram();
    const sendH = new Histogram();
    const room = ids[0];
    for (let k = 0; k < pairs; k++) {
      let t = performance.now();
      await request(agent, `${server.url}/api/rooms/${room}/messages`, other.token, 'POST', {
        content: `pair ${k}`,
      });
      sendH.record((performance.now() - t) * 1000);
      t = performance.now();
      await request(agent, `${server.url}/api/rooms/${room}/read`, me.token, 'POST', {
        seq: perRoom + k + 1,
      });
      readH.record((performance.now() - t) * 1000);
    }
    out.read = readH.summaryMs();
    out.send = sendH.summaryMs();
    ctx.log(`  room.read p50 ${out.read.p50} ms vs send p50 ${out.send.p50} ms`);
  } finally {
    agent.destroy();
    await client.end().catch(() => undefined);
    await server.stop();
  }
  const s = out.sidebar;
  const rows = [
    { impl: 'ours', metric: 'sidebar p50', value: s.latency.p50, unit: 'ms', better: 'lower' },
    {
      impl: 'ours',
      metric: 'sidebar p99',
      value: s.latency.p99,
      unit: 'ms',
      better: 'lower',
      target: '<= 10 ms',
      pass: s.latency.p99 <= 10 && s.errors === 0,
    },
    { impl: 'ours', metric: 'sidebar errors', value: s.errors, better: 'lower' },
    {
      impl: 'ours',
      metric: 'baseline p50 (GET /api/users/me)',
      value: s.by.baseline.p50,
      unit: 'ms',
      better: 'lower',
    },
    {
      impl: 'ours',
      metric: 'baseline p99 (GET /api/users/me)',
      value: s.by.baseline.p99,
      unit: 'ms',
      better: 'lower',
    },
    { impl: 'ours', metric: 'sidebar / baseline p50', value: s.latency.p50 / s.by.baseline.p50 },
    { impl: 'ours', metric: 'sidebar / baseline p99', value: s.latency.p99 / s.by.baseline.p99 },
    ...['p50', 'p99'].flatMap((p) => [
      {
        impl: 'ours',
        metric: `page ${p}, one at a time`,
        value: out.turns.page[p],
        unit: 'ms',
        better: 'lower',
        ...(p === 'p99' ? { target: '<= 10 ms', pass: out.turns.page.p99 <= 10 } : {}),
      },
      {
        impl: 'ours',
        metric: `baseline ${p}, one at a time`,
        value: out.turns.baseline[p],
        unit: 'ms',
        better: 'lower',
      },
      {
        impl: 'ours',
        metric: `page / baseline ${p}, one at a time`,
        value: out.turns.page[p] / out.turns.baseline[p],
      },
    ]),
    { impl: 'ours', metric: 'room.read p50', value: out.read.p50, unit: 'ms', better: 'lower' },
    { impl: 'ours', metric: 'room.read p99', value: out.read.p99, unit: 'ms', better: 'lower' },
    {
      impl: 'ours',
      metric: 'send p50',
      value: out.send.p50,
      unit: 'ms',
      better: 'lower',
    },
    {
      impl: 'ours',
      metric: 'room.read / send p50',
      value: out.read.p50 / out.send.p50,
      target: '<= 1',
      pass: out.read.p50 <= out.send.p50,
    },
    { impl: 'ours', metric: 'cpu pressure (machine)', value: out.cpuPressurePct, unit: '%' },
  ];
  return {
    rows,
    notes: [
      `one user in ${nRooms} rooms, ${perRoom} messages each, mentions in one room in ten, last activity 30 s apart; pages of 50 (first and second) at ${rate}/s and GET /api/users/me at ${rate}/s taking turns, open loop, for ${durationMs / 1000} s, while ${trafficRate} sends/s go into the user's rooms (${out.traffic.sent} sent, ${out.traffic.errors} failed)`,
      `then the pages and the baseline one request at a time, taking turns, ${turns} requests, the sends still going`,
      `room.read and send over REST, alternating one at a time, ${pairs} pairs`,
    ],
    data: { nRooms, perRoom, rate, durationMs, pairs, trafficRate, per: out },
  };
}
