#!/usr/bin/env node
// The benchmark's figures as the median and spread of several runs: run.mjs N times one after
// another (each run every scenario, baselines included, so every ratio is to a baseline of the
// same run), then one table per scenario with the median, min–max and every run's value, the
// ratios to the baselines (the median of each run's own ratio), how many runs met the target,
// and the machine's CPU pressure at rest (measured before each run, nothing of ours running) and
// under load (during the scenario).
//
//   node bench/repeat.mjs [scenario...] [--runs 3] [--out bench/results/median] [--rest-s 10]
//                         [--quick] [--impl ours,ws,socketio] [--run-timeout-min 60]
//                         [--<run.mjs knob>=<value> ...]
//   node bench/repeat.mjs --from <out>/median.json [--out <out>]   (the outputs again, no run)
//
// No scenario: run.mjs's default set (every scenario but bus) and bus, which starts its own
// broker when KAFKA_BROKERS is unset. Each run's own results stay under <out>/run-<k>/; the
// aggregate is <out>/median.json and <out>/median.md, and <out>/<scenario>.json with the medians
// as its rows (so `node bench/capacity.mjs --results <out>` projects from the medians).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMPL_LABEL } from './lib/report.mjs';
import { SCENARIOS } from './lib/scenario-list.mjs';
import { median, pressurePct, pressureTotalUs } from './lib/stats.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_SCENARIOS = SCENARIOS;

function parseArgs(argv) {
  const a = {
    scenarios: [],
    runs: 3,
    out: 'bench/results/median',
    restS: 10,
    quick: false,
    impl: null,
    runTimeoutMin: 60,
    knobs: {},
  };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i].startsWith('--') ? argv[i].slice(2).split(/=(.*)/s) : [null];
    const value = () => inline ?? argv[++i];
    if (!k) a.scenarios.push(argv[i]);
    else if (k === 'runs') a.runs = Number(value());
    else if (k === 'out') a.out = value();
    else if (k === 'rest-s') a.restS = Number(value());
    else if (k === 'quick') a.quick = true;
    else if (k === 'impl') a.impl = value();
    else if (k === 'run-timeout-min') a.runTimeoutMin = Number(value());
    else if (k === 'from') a.from = value();
    else a.knobs[k] = value();
  }
  if (!(a.runs >= 1)) throw new Error('--runs must be at least 1');
  if (a.scenarios.length === 0) a.scenarios = DEFAULT_SCENARIOS;
  return a;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU pressure over `seconds` with nothing of ours running: the machine's noise floor. */
async function restPressure(seconds) {
  const us0 = pressureTotalUs();
  const t0 = Date.now();
  await sleep(seconds * 1000);
  return pressurePct(us0, pressureTotalUs(), Date.now() - t0);
}

function runOnce(args, k) {
  const outDir = path.join(args.out, `run-${k}`);
  const cmd = [
    'bench/run.mjs',
    ...args.scenarios,
    '--out',
    outDir,
    ...(args.quick ? ['--quick'] : []),
    ...(args.impl ? ['--impl', args.impl] : []),
    ...Object.entries(args.knobs).map(([key, v]) => `--${key}=${v}`),
  ];
  console.log(`repeat: [run ${k}] node ${cmd.join(' ')}`);
  const us0 = pressureTotalUs();
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cmd, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => {
      for (const line of d.toString().split('\n'))
        if (/^\[\s*\d+s\]|FAILED|^bench:/.test(line)) console.log(`    ${line}`);
    });
    const timer = setTimeout(() => {
      console.error(`repeat: run ${k} exceeded ${args.runTimeoutMin} min; stopping it`);
      child.kill('SIGINT');
    }, args.runTimeoutMin * 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const wallMs = Date.now() - t0;
      const scenarios = {};
      for (const s of args.scenarios) {
        try {
          scenarios[s] = JSON.parse(readFileSync(path.resolve(ROOT, outDir, `${s}.json`), 'utf8'));
        } catch {
          scenarios[s] = null; // failed or never ran: counted as a missing run, not a zero
        }
      }
      resolve({
        k,
        code,
        wallMs,
        pressurePct: pressurePct(us0, pressureTotalUs(), wallMs),
        scenarios,
      });
    });
  });
}

/**
 * One row per (scenario, impl, metric) across the runs: every run's value (null where the run
 * lacked it), median, min, max; for ours' rows the median of the runs' own ratios to the
 * baselines; and in how many runs the target was met.
 */
function aggregate(scenarioNames, runs) {
  const out = [];
  for (const s of scenarioNames) {
    const keys = [];
    for (const r of runs)
      for (const row of r.scenarios[s]?.rows ?? []) {
        const key = `${row.impl}\u0000${row.metric}`;
        if (!keys.includes(key)) keys.push(key);
      }
    const rows = keys.map((key) => {
      const [impl, metric] = key.split('\u0000');
      const of = (r) =>
        r.scenarios[s]?.rows?.find((row) => row.impl === impl && row.metric === metric) ?? null;
      const found = runs.map(of);
      const first = found.find(Boolean);
      const num = (f) => found.map((row) => (typeof row?.[f] === 'number' ? row[f] : null));
      const values = num('value');
      const finite = values.filter((v) => v !== null);
      const judged = found.filter((row) => typeof row?.pass === 'boolean');
      return {
        impl,
        metric,
        unit: first?.unit ?? '',
        better: first?.better,
        values,
        median: median(finite),
        min: finite.length ? Math.min(...finite) : null,
        max: finite.length ? Math.max(...finite) : null,
        vsWs: median(num('vsWs').filter((v) => v !== null)),
        vsSocketio: median(num('vsSocketio').filter((v) => v !== null)),
        target: first?.target ?? null,
        met: judged.length
          ? `${judged.filter((row) => row.pass).length} of ${judged.length}`
          : null,
      };
    });
    const loads = runs.map((r) => r.scenarios[s]?.env?.cpuPressurePct ?? null);
    out.push({
      scenario: s,
      ran: runs.filter((r) => r.scenarios[s]?.rows).length,
      cpuPressureUnderLoadPct: loads,
      rows,
    });
  }
  return out;
}

function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '-';
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString('en-US');
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
const pct = (xs) => xs.map((x) => (x == null ? '-' : `${x.toFixed(0)}%`)).join(' / ');

function markdown({ runs, table, appCommit, quick, scenarios }) {
  const lines = [
    `# Benchmark, median of ${runs.length} runs (${appCommit ?? 'unknown commit'})`,
    '',
    `\`node bench/repeat.mjs --runs ${runs.length}${quick ? ' --quick' : ''} ${scenarios.join(' ')}\`; runs one after another, ` +
      `${(runs.reduce((a, r) => a + r.wallMs, 0) / 60000).toFixed(0)} min in all. ` +
      `CPU pressure (PSI some) at rest before each run: ${pct(runs.map((r) => r.restPressurePct))}; over each whole run: ${pct(runs.map((r) => r.pressurePct))}. ` +
      'Spread is min–max; "met" counts the runs whose own figure met the target; ratios are the median of each run\'s ratio to the baseline measured in that run.',
    '',
  ];
  for (const t of table) {
    lines.push(
      `## ${t.scenario}`,
      '',
      `${t.ran} of ${runs.length} runs; CPU pressure under load per run: ${pct(t.cpuPressureUnderLoadPct)}`,
      '',
      '| impl | metric | median | spread | runs | ours/ws | ours/socketio | target | met |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...t.rows.map(
        (r) =>
          `| ${IMPL_LABEL[r.impl] ?? r.impl} | ${r.metric} | ${fmt(r.median)}${r.unit ? ` ${r.unit}` : ''} | ${fmt(r.min)}–${fmt(r.max)} | ${r.values.map(fmt).join(', ')} | ${r.vsWs === null ? '' : `${r.vsWs.toFixed(2)}x`} | ${r.vsSocketio === null ? '' : `${r.vsSocketio.toFixed(2)}x`} | ${r.target ?? ''} | ${r.met ?? ''} |`,
      ),
      '',
    );
  }
  return lines.join('\n');
}

/**
 * median.json, median.md, and per scenario a <scenario>.json shaped like run.mjs's whose rows
 * hold the medians, so readers of results (bench/capacity.mjs --results <out>) take the medians.
 */
function writeOutputs(outDir, result) {
  writeFileSync(path.join(outDir, 'median.json'), JSON.stringify(result, null, 2));
  for (const t of result.table)
    writeFileSync(
      path.join(outDir, `${t.scenario}.json`),
      JSON.stringify(
        {
          scenario: t.scenario,
          medianOf: t.ran,
          env: { appCommit: result.appCommit },
          rows: t.rows.map(({ values: _values, min: _min, max: _max, median: value, ...r }) => ({
            ...r,
            value,
          })),
        },
        null,
        2,
      ),
    );
  const md = markdown(result);
  writeFileSync(path.join(outDir, 'median.md'), md);
  console.log(`\n${md}\nrepeat: ${path.relative(ROOT, path.join(outDir, 'median.md'))}`);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const outDir = path.resolve(ROOT, args.out);
  mkdirSync(outDir, { recursive: true });
  if (args.from) {
    // Only the outputs again, from an earlier run's median.json (no run).
    writeOutputs(outDir, JSON.parse(readFileSync(path.resolve(ROOT, args.from), 'utf8')));
    return 0;
  }
  const started = Date.now();
  const runs = [];
  for (let k = 1; k <= args.runs; k++) {
    const restPct = await restPressure(args.restS);
    console.log(`repeat: [run ${k}] cpu pressure at rest ${restPct?.toFixed(0)}%`);
    const r = await runOnce(args, k);
    console.log(
      `repeat: [run ${k}] exit ${r.code}, ${(r.wallMs / 60000).toFixed(1)} min, cpu pressure ${r.pressurePct?.toFixed(0)}%`,
    );
    runs.push({ ...r, restPct });
  }
  const table = aggregate(args.scenarios, runs);
  const commit = runs
    .map((r) => Object.values(r.scenarios).find(Boolean)?.env?.appCommit)
    .find(Boolean);
  const result = {
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    appCommit: commit ?? null,
    scenarios: args.scenarios,
    quick: args.quick,
    knobs: args.knobs,
    runs: runs.map((r) => ({
      k: r.k,
      code: r.code,
      wallMs: r.wallMs,
      restPressurePct: r.restPct,
      pressurePct: r.pressurePct,
    })),
    table,
  };
  writeOutputs(outDir, result);
  return runs.every((r) => r.code === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err.stack ?? err);
    process.exit(1);
  },
);
