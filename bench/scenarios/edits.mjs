// Edits and reactions against a send, in the same run: rooms of 10 members, every member
// subscribed over WebSocket (so every change fans out as a live event, as in use); then a send
// (POST /rooms/:id/messages), an edit of that message by its author (PATCH …/messages/:id) and a
// reaction to it by another member (PUT …/messages/:id/reactions/:emoji) take turns, one request
// at a time, so none waits for another. Each request's time is to its HTTP answer; every
// subscriber's copy of each event is counted. Target (issue 12): a reaction costs no more than a
// send (reaction p50 <= send p50); the edit is reported beside it.
import http from 'node:http';
import WebSocket from 'ws';
import { cpuPressureUs, sleep, startImpl } from '../lib/harness.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { request } from '../lib/http-request.mjs';

export const title = 'Edits and reactions';

/** A subscriber that counts the frames of each room event kind it receives. */
function subscriber(wsUrl, token, roomId, counts) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, {
      headers: { authorization: `Bearer ${token}` },
      perMessageDeflate: false,
    });
    const t = setTimeout(() => reject(new Error('subscribe timed out')), 15_000);
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ event: 'room.subscribe', data: { roomId } })));
    ws.on('message', (buf) => {
      const event = JSON.parse(buf.toString()).event;
      if (event === 'room.subscribed') {
        clearTimeout(t);
        resolve(ws);
      } else counts.set(event, (counts.get(event) ?? 0) + 1);
    });
  });
}

export async function run(ctx) {
  const q = ctx.quick;
  const nRooms = q ? 2 : 10;
  const members = q ? 3 : 10;
  const turns = ctx.opt('edits-turns', q ? 50 : 1000);
  const emoji = encodeURIComponent('👍');
  const server = await startImpl(ctx, 'ours');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const counts = new Map();
  const sockets = [];
  const h = { send: new Histogram(), edit: new Histogram(), reaction: new Histogram() };
  let delivered;
  let pressurePct;
  try {
    const users = await ctx.fixture.ensureUsers(server.url, Math.max(nRooms, members));
    const rooms = await ctx.fixture.rooms(server.url, {
      rooms: nRooms,
      membersPerRoom: members,
      users,
      tag: 'edits',
    });
    for (const room of rooms)
      for (const u of room.members)
        sockets.push(await subscriber(server.wsUrl, u.token, room.id, counts));
    ctx.log(
      `edits: ${nRooms} rooms x ${members} subscribed members; ${turns} turns of send, edit, reaction`,
    );
    const turn = async (k, record) => {
      const room = rooms[k % nRooms];
      const author = room.members[k % members];
      const reactor = room.members[(k + 1) % members];
      const base = `${server.url}/api/rooms/${room.id}/messages`;
      let t = performance.now();
      const msg = await request(agent, base, author.token, 'POST', { content: `edits ${k}` });
      if (record) h.send.record((performance.now() - t) * 1000);
      t = performance.now();
      await request(agent, `${base}/${msg.id}`, author.token, 'PATCH', {
        content: `edits ${k} (edited)`,
      });
      if (record) h.edit.record((performance.now() - t) * 1000);
      t = performance.now();
      await request(agent, `${base}/${msg.id}/reactions/${emoji}`, reactor.token, 'PUT');
      if (record) h.reaction.record((performance.now() - t) * 1000);
    };
    const warm = q ? 10 : 100;
    for (let k = 0; k < warm; k++) await turn(k, false);
    const psi0 = cpuPressureUs();
    const t0 = performance.now();
    for (let k = 0; k < turns; k++) await turn(warm + k, true);
    const wallMs = performance.now() - t0;
    const psi1 = cpuPressureUs();
    // Every subscriber gets every event of its room: wait (bounded) for the last copies.
    const expected = (warm + turns) * members;
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline && (counts.get('reaction.added') ?? 0) < expected)
      await sleep(50);
    delivered = {
      'message.new': counts.get('message.new') ?? 0,
      'message.edited': counts.get('message.edited') ?? 0,
      'reaction.added': counts.get('reaction.added') ?? 0,
      expected,
    };
    pressurePct = psi0 !== null && psi1 !== null ? (100 * (psi1 - psi0)) / 1000 / wallMs : null;
  } finally {
    for (const ws of sockets) ws.terminate();
    agent.destroy();
    await server.stop();
  }
  const s = h.send.summaryMs();
  const e = h.edit.summaryMs();
  const r = h.reaction.summaryMs();
  ctx.log(
    `  send p50 ${s.p50} p99 ${s.p99}; edit p50 ${e.p50} p99 ${e.p99}; reaction p50 ${r.p50} p99 ${r.p99} ms; cpu pressure ${pressurePct?.toFixed(0)}%`,
  );
  const lost = ['message.new', 'message.edited', 'reaction.added'].reduce(
    (a, k) => a + Math.max(0, delivered.expected - delivered[k]),
    0,
  );
  const row = (metric, value, extra = {}) => ({ impl: 'ours', metric, value, ...extra });
  const rows = [
    row('send p50', s.p50, { unit: 'ms', better: 'lower' }),
    row('send p99', s.p99, { unit: 'ms', better: 'lower' }),
    row('edit p50', e.p50, { unit: 'ms', better: 'lower' }),
    row('edit p99', e.p99, { unit: 'ms', better: 'lower' }),
    row('reaction p50', r.p50, { unit: 'ms', better: 'lower' }),
    row('reaction p99', r.p99, { unit: 'ms', better: 'lower' }),
    row('edit / send p50', e.p50 / s.p50),
    row('reaction / send p50', r.p50 / s.p50, { target: '<= 1', pass: r.p50 <= s.p50 }),
    row('reaction / send p99', r.p99 / s.p99),
    row('events lost (all kinds)', lost, { better: 'lower' }),
    row('cpu pressure (machine)', pressurePct, { unit: '%' }),
  ];
  return {
    rows,
    notes: [
      `${nRooms} rooms x ${members} members, all subscribed over WebSocket; ${turns} turns of send, edit, reaction over REST, one request at a time (after ${q ? 10 : 100} unmeasured)`,
      `live copies: message.new ${delivered['message.new']}, message.edited ${delivered['message.edited']}, reaction.added ${delivered['reaction.added']} of ${delivered.expected} each`,
    ],
    data: { nRooms, members, turns, send: s, edit: e, reaction: r, delivered, pressurePct },
  };
}
