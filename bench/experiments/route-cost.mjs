#!/usr/bin/env node
// Experiment: server CPU per HTTP request, route by route, one request at a time (no
// queueing), read from /proc of the server process: which part of a history page costs what.
//   npm run build && node bench/experiments/route-cost.mjs [--requests 3000] [--only <route name part>]
//       [--profile (a --cpu-prof of the service under $TMPDIR/route-cost-prof)] [--keep (the database)]
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createBenchDatabase, procStats, startOurs } from '../lib/servers.mjs';
import { OursFixture } from '../lib/ours-setup.mjs';

const arg = (k, d) =>
  process.argv.includes(`--${k}`) ? Number(process.argv[process.argv.indexOf(`--${k}`) + 1]) : d;
const N = arg('requests', 3000);
const db = await createBenchDatabase();
const server = await startOurs(db, {
  logDir: '/tmp',
  label: 'route-cost',
  profileDir: process.argv.includes('--profile')
    ? path.join(os.tmpdir(), 'route-cost-prof')
    : undefined,
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const get = (path, token) =>
  new Promise((resolve, reject) => {
    const req = http.get(
      `${server.url}${path}`,
      { agent, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode < 300 ? resolve() : reject(new Error(`${path}: ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
  });
try {
  const fx = new OursFixture();
  const [owner] = await fx.ensureUsers(server.url, 1);
  const [room] = await fx.rooms(server.url, {
    rooms: 1,
    membersPerRoom: 1,
    users: [owner],
    tag: 'rc',
  });
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(
    `INSERT INTO messages (room_id, seq, event_seq, user_id, content, type, created_at)
     SELECT $1, g, g, $2, 'history message ' || g || ' ' || repeat('x', 80), 'text', now() FROM generate_series(1, 10000) g`,
    [room.id, owner.id],
  );
  await c.query(`UPDATE rooms SET last_seq = 10000, last_event_seq = 10000 WHERE id = $1`, [
    room.id,
  ]);
  await c.query('VACUUM ANALYZE messages');
  await c.end();
  const routes = {
    'idle (no request, same wall time as history)': null,
    'GET /health/live (no auth)': () => get('/health/live'),
    'GET /api/users/me (auth)': () => get('/api/users/me', owner.token),
    'GET /api/rooms/:id (auth, member read)': () => get(`/api/rooms/${room.id}`, owner.token),
    'GET history limit=1': () =>
      get(
        `/api/rooms/${room.id}/messages?afterSeq=${Math.floor(Math.random() * 9000)}&limit=1`,
        owner.token,
      ),
    'GET history limit=50': () =>
      get(
        `/api/rooms/${room.id}/messages?afterSeq=${Math.floor(Math.random() * 9000)}&limit=50`,
        owner.token,
      ),
  };
  let histWall = 1000;
  const only = process.argv.includes('--only')
    ? process.argv[process.argv.indexOf('--only') + 1]
    : null;
  for (const [name, fn] of Object.entries(routes)) {
    if (only && fn && !name.includes(only)) continue;
    if (fn) for (let i = 0; i < 300; i++) await fn();
    const s0 = procStats(server.pid);
    const t0 = performance.now();
    if (fn) for (let i = 0; i < N; i++) await fn();
    else await new Promise((r) => setTimeout(r, histWall));
    const wall = performance.now() - t0;
    const s1 = procStats(server.pid);
    if (name.startsWith('GET history limit=50')) histWall = wall;
    const per = fn ? ((s1.cpuMs - s0.cpuMs) * 1000) / N : null;
    console.log(
      `${name.padEnd(48)} ${fn ? `${per.toFixed(0)} µs CPU/request, ${((wall * 1000) / N).toFixed(0)} µs wall/request` : `${(s1.cpuMs - s0.cpuMs).toFixed(0)} ms CPU over ${(wall / 1000).toFixed(1)} s`}`,
    );
  }
} finally {
  agent.destroy();
  await server.stop();
  if (process.argv.includes('--keep')) console.log(`kept ${db.url}`);
  else await db.drop();
}
