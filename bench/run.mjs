#!/usr/bin/env node
// Benchmark harness for the chat backend against two baselines (bare ws, Socket.IO 4).
//
//   node bench/run.mjs [scenario...] [--quick] [--out bench/results] [--impl ours,ws,socketio]
//                      [--profile] [--sio-client raw|official] [--embedded] [--<knob>=<value>]
//
// Scenarios: idle fanout latency throughput edits history sidebar search export reconnect bus (default: all but bus; bus too when
// KAFKA_BROKERS is set; --quick runs every scenario for a few seconds: the smoke mode).
// The server under test runs pinned to one core (BENCH_SERVER_CPU, default 0) and this process
// and its load-generator workers to the other (BENCH_LOADGEN_CPU, default 1). See bench/README.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OursFixture } from './lib/ours-setup.mjs';
import { IMPL_LABEL, printTable, ratios, writeResults } from './lib/report.mjs';
import { SCENARIOS } from './lib/scenario-list.mjs';
import { pressurePct, pressureTotalUs } from './lib/stats.mjs';
import {
  APP_DIR,
  createBenchDatabase,
  hardNoFile,
  LOADGEN_CORE,
  ROOT,
  SERVER_CORE,
  stopAllServers,
} from './lib/servers.mjs';

const ALL = SCENARIOS;

function parseArgs(argv) {
  const a = {
    scenarios: [],
    quick: false,
    out: 'bench/results',
    impls: ['ours', 'ws', 'socketio'],
    profile: false,
    sioClient: 'raw',
    embedded: false,
    knobs: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [k, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s) : [null];
    const value = () => inline ?? argv[++i];
    if (!k) {
      if (!ALL.includes(arg))
        throw new Error(`unknown scenario "${arg}" (one of ${ALL.join(', ')})`);
      a.scenarios.push(arg);
    } else if (k === 'quick') a.quick = true;
    else if (k === 'out') a.out = value();
    else if (k === 'impl') a.impls = value().split(',');
    else if (k === 'profile') a.profile = true;
    else if (k === 'embedded') a.embedded = true;
    else if (k === 'sio-client') a.sioClient = value();
    else if (k === 'help' || k === 'h') a.help = true;
    else a.knobs[k] = value();
  }
  if (a.scenarios.length === 0)
    a.scenarios = a.quick || process.env.KAFKA_BROKERS ? [...ALL] : ALL.filter((s) => s !== 'bus');
  return a;
}

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(
      readFileSync(new URL(import.meta.url), 'utf8')
        .split('\n')
        .slice(1, 11)
        .join('\n'),
    );
    return 0;
  }
  if (!existsSync(path.join(APP_DIR, 'dist/src/main.js')))
    throw new Error(
      `${path.join(APP_DIR, 'dist/src/main.js')} is missing: run \`npm run build\` first`,
    );
  const started = Date.now();
  const maxRunMs = args.quick ? 5 * 60_000 : 60 * 60_000;
  const watchdog = setTimeout(() => {
    console.error(`bench: run exceeded ${maxRunMs / 60000} min; aborting`);
    void cleanup().then(() => process.exit(2));
  }, maxRunMs);
  watchdog.unref();

  // Pin this process (and the workers it forks, which inherit it) to the load generator's core.
  const pinned = sh('taskset', ['-a', '-p', '-c', LOADGEN_CORE, String(process.pid)]) !== null;
  const outDir = path.resolve(ROOT, args.out);
  const logDir = path.join(outDir, 'logs');
  const profileDir = path.join(outDir, 'prof');
  mkdirSync(logDir, { recursive: true });
  if (args.profile) mkdirSync(profileDir, { recursive: true });

  const env = {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGb: Math.round(os.totalmem() / 2 ** 30),
    serverCore: SERVER_CORE,
    loadgenCore: LOADGEN_CORE,
    pinned,
    ephemeralPorts: sh('sysctl', ['-n', 'net.ipv4.ip_local_port_range'])?.replace(/\s+/g, '-'),
    nofileHard: hardNoFile(),
    loadavgAtStart: loadavg(),
    quick: args.quick,
    // The build under test (BENCH_APP_DIR, else this checkout) and its commit.
    appDir: APP_DIR,
    appCommit: sh('git', ['-C', APP_DIR, 'rev-parse', '--short', 'HEAD']),
  };
  console.log(
    `bench: node ${env.node}, ${env.cpus} cpus, server on cpu ${SERVER_CORE}, load generator on cpu ${LOADGEN_CORE}${pinned ? '' : ' (taskset failed: NOT pinned)'}`,
  );
  if (APP_DIR !== ROOT) console.log(`bench: build under test ${APP_DIR} (${env.appCommit})`);
  console.log(
    `bench: ephemeral ports ${env.ephemeralPorts}, open files hard limit ${env.nofileHard}, load average ${env.loadavgAtStart.join(' ')}`,
  );
  if (os.cpus().length < 2)
    console.log(
      'bench: fewer than 2 cpus: server and load generator share a core; figures are not comparable',
    );

  const db = await createBenchDatabase({ forceEmbedded: args.embedded });
  env.database = db.embedded
    ? 'embedded PostgreSQL (temporary DATA_DIR)'
    : `machine PostgreSQL, database ${db.name}`;
  console.log(`bench: ${env.database}`);
  let cleaned = false;
  async function cleanup() {
    if (cleaned) return;
    cleaned = true;
    await stopAllServers().catch(() => undefined);
    await db
      .drop()
      .catch((err) => console.error(`bench: dropping the database failed: ${err.message}`));
  }
  for (const sig of ['SIGINT', 'SIGTERM'])
    process.once(sig, () => {
      console.error(`bench: ${sig}, cleaning up`);
      void cleanup().then(() => process.exit(130));
    });

  const fixture = new OursFixture();
  const summary = { env, scenarios: {} };
  let failed = 0;
  try {
    for (const scenario of args.scenarios) {
      const mod = await import(`./scenarios/${scenario}.mjs`);
      const t0 = Date.now();
      const ctx = {
        scenario,
        quick: args.quick,
        db,
        fixture,
        logDir,
        profileDir,
        profile: args.profile,
        sioClient: args.sioClient,
        impls: args.impls,
        label: (impl) => IMPL_LABEL[impl] ?? impl,
        // A knob is a number, or a list such as --bus-flood-rates=1000,5000 (kept as text).
        opt: (key, dflt) => {
          const v = args.knobs[key];
          if (v === undefined) return dflt;
          return Number.isNaN(Number(v)) ? v : Number(v);
        },
        log: (m) =>
          console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${m}`),
      };
      const load0 = loadavg();
      const psi0 = pressureTotalUs();
      try {
        const res = await mod.run(ctx);
        const rows = ratios(res.rows);
        const result = {
          scenario,
          title: mod.title,
          startedAt: new Date(t0).toISOString(),
          durationMs: Date.now() - t0,
          env: {
            ...env,
            loadavgBefore: load0,
            loadavgAfter: loadavg(),
            // The machine's CPU pressure while the scenario ran (its own load included).
            cpuPressurePct: pressurePct(psi0, pressureTotalUs(), Date.now() - t0),
          },
          rows,
          notes: res.notes,
          data: res.data,
          chart: res.chart,
        };
        printTable(scenario, rows, [
          ...res.notes,
          `load average before/after: ${load0.join(' ')} / ${loadavg().join(' ')}`,
        ]);
        const { jsonPath, svgPath } = writeResults(outDir, scenario, result);
        console.log(
          `  -> ${path.relative(ROOT, jsonPath)}${res.chart ? `, ${path.relative(ROOT, svgPath)}` : ''}`,
        );
        summary.scenarios[scenario] = { rows, notes: res.notes, durationMs: result.durationMs };
      } catch (err) {
        failed++;
        console.error(`\n== ${scenario}: FAILED\n${err.stack ?? err}`);
        summary.scenarios[scenario] = { error: String(err.message ?? err) };
        await stopAllServers().catch(() => undefined);
      }
    }
  } finally {
    await cleanup();
  }
  summary.durationMs = Date.now() - started;
  // One summary per results directory: a run of some scenarios updates theirs, keeps the rest.
  const summaryPath = path.join(outDir, 'summary.json');
  let previous = {};
  try {
    previous = JSON.parse(readFileSync(summaryPath, 'utf8')).scenarios ?? {};
  } catch {
    /* first run into this directory */
  }
  summary.scenarios = { ...previous, ...summary.scenarios };
  writeFileSync(summaryPath, JSON.stringify(summary, null, 2));
  console.log(
    `\nbench: ${args.scenarios.length - failed} of ${args.scenarios.length} scenarios ran in ${(summary.durationMs / 1000).toFixed(0)} s; results in ${path.relative(ROOT, outDir)}/`,
  );
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    console.error(err.stack ?? err);
    await stopAllServers().catch(() => undefined);
    process.exit(1);
  },
);
