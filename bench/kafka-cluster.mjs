#!/usr/bin/env node
// The 3-broker cluster's stall, measured by its test (test/kafka/cluster.kafka-spec.ts): two
// service instances, replication factor 3 and min.insync.replicas 2, traffic through both over
// REST and WebSocket; the leader of the room's partition is SIGKILLed, then the next leader, then
// both restart. The test checks that every acked message and room event reaches both instances'
// subscribers once, in order; this runs it `--runs` times (default 3) and reports each stall's
// median and spread with the machine's CPU pressure:
//   - after the leader's SIGKILL, until a message sent after it reached each subscriber;
//   - after the second kill (one broker left, sends refused by Kafka, held in the outbox) until
//     delivery resumed, and from the restart's start;
//   - the longest silence a subscriber saw between the kills, and after the restart.
//
//   npm run build && node bench/kafka-cluster.mjs [--runs 3] [--out bench/results/kafka-cluster]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (k, d) =>
  process.argv.includes(`--${k}`) ? process.argv[process.argv.indexOf(`--${k}`) + 1] : d;
const runs = Number(arg('runs', 3));
const out = path.resolve(ROOT, arg('out', 'bench/results/kafka-cluster'));
mkdirSync(out, { recursive: true });

/** PSI "some" avg10 of /proc/pressure/cpu, in %, or null where there is none. */
function cpuPressure() {
  try {
    return Number(/some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))[1]);
  } catch {
    return null;
  }
}
/** The share of wall time some task waited for a CPU between two readings of `total`. */
function pressureTotal() {
  try {
    return Number(/some .*total=(\d+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))[1]);
  } catch {
    return null;
  }
}

const results = [];
for (let k = 1; k <= runs; k++) {
  const report = path.join(out, `run-${k}.json`);
  const atRest = cpuPressure();
  const p0 = pressureTotal();
  const t0 = Date.now();
  console.log(`kafka-cluster: run ${k} of ${runs} (CPU pressure at rest ${atRest}%)`);
  const r = spawnSync(
    'npx',
    ['jest', '--selectProjects', 'kafka', '--testPathPatterns', 'cluster.kafka-spec'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_OPTIONS: '--experimental-vm-modules',
        KAFKA_CLUSTER_REPORT: report,
        TEST_WORKERS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 15 * 60_000,
    },
  );
  const wall = Date.now() - t0;
  const p1 = pressureTotal();
  writeFileSync(path.join(out, `run-${k}.log`), `${r.stdout}\n${r.stderr}`);
  if (r.status !== 0 || !existsSync(report)) {
    console.log(`  the test failed (exit ${r.status}); its output is in run-${k}.log`);
    results.push({ run: k, passed: false });
    continue;
  }
  const { summary } = JSON.parse(readFileSync(report, 'utf8'));
  const underLoad = p0 !== null && p1 !== null ? ((p1 - p0) / 1000 / wall) * 100 : null;
  results.push({ run: k, passed: true, atRest, underLoad, ...summary });
  console.log(`  ${JSON.stringify(summary)}`);
}

const passed = results.filter((r) => r.passed);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
};
// Per figure: both subscribers' values of every run (A and B are both "a subscriber").
const figures = [
  ['stall after the leader SIGKILL (ms)', (r) => r.stallAfterLeaderKillMs],
  ['stall after the second kill (ms)', (r) => r.stallAfterSecondKillMs],
  ['resumed after the restart began (ms)', (r) => r.resumeAfterRestartBeganMs],
  ['longest silence between the kills (ms)', (r) => r.longestGapBetweenKillsMs],
  ['longest silence after the restart (ms)', (r) => r.longestGapAfterRestartMs],
  ['outage with one broker (ms)', (r) => [r.outageWithOneBrokerMs]],
  ['acked', (r) => [r.acked]],
  ['refused with a code', (r) => [r.refused]],
  ['CPU pressure at rest (%)', (r) => [r.atRest]],
  ['CPU pressure during the run (%)', (r) => [Math.round(r.underLoad)]],
];
const lines = [
  `# 3-broker Kafka cluster: the stall (\`node bench/kafka-cluster.mjs --runs ${runs}\`)`,
  '',
  `${new Date().toISOString()}; ${passed.length} of ${runs} runs passed (every acked message and room event delivered once, in order, on both instances).`,
  'Each cell: median [min-max] over the runs, both subscribers (on instance A and B) counted.',
  '',
  '| figure | median | spread | per run |',
  '| --- | --- | --- | --- |',
];
for (const [name, get] of figures) {
  const per = passed.map(get);
  const all = per.flat().filter((x) => typeof x === 'number' && Number.isFinite(x));
  lines.push(
    `| ${name} | ${median(all)} | ${Math.min(...all)}-${Math.max(...all)} | ${per.map((v) => v.join('/')).join(', ')} |`,
  );
}
writeFileSync(path.join(out, 'summary.md'), `${lines.join('\n')}\n`);
writeFileSync(path.join(out, 'summary.json'), JSON.stringify(results, null, 2));
console.log(lines.join('\n'));
process.exitCode = passed.length === runs ? 0 : 1;
