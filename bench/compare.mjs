#!/usr/bin/env node
// Before/after: the same scenarios against two builds of the chat backend, taking turns
// (before, after, before, after, ...) so that a stall or a busy neighbour on the machine lands on
// both alike; then the median of every figure per build and the ratio after / before (also the
// median of the per-pair ratios). The harness is this checkout's for both builds (run.mjs with
// BENCH_APP_DIR), so both are measured the same way.
//
//   node bench/compare.mjs --before <commit> [--after <dir>] [--scenarios latency,throughput]
//                          [--pairs 3] [--budget-min 45] [--out bench/results/compare]
//                          [--before-dir <dir>] [--quick] [--<run.mjs knob>=<value> ...]
//   node bench/compare.mjs --from <out>/compare.json   (the tables again from its runs, no run)
//
// --before: a commit; its build is made once in a detached worktree (--before-dir, default
// <this checkout>/../bench-before-<commit>) with `npm ci` and `npm run build` when missing.
// --after: a built checkout (default: this one; build it first). Knobs that bound each run
// (latency 20 s, throughput budget 60 s) can be overridden with run.mjs's own knobs.
// Bounded: at most --pairs pairs, no new pair once --budget-min has passed, and every run.mjs
// is killed after --run-timeout-min (default 15). Writes <out>/compare.json and compare.md, and
// keeps every run's own results under <out>/<build>-<k>/.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pressurePct, pressureTotalUs } from './lib/stats.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const DEFAULT_KNOBS = {
  'latency-duration-ms': '20000',
  'throughput-budget-ms': '60000',
  'sidebar-duration-ms': '10000',
};

function parseArgs(argv) {
  const a = {
    before: null,
    beforeDir: null,
    after: ROOT,
    scenarios: ['latency', 'throughput'],
    pairs: 3,
    budgetMin: 45,
    runTimeoutMin: 15,
    out: 'bench/results/compare',
    knobs: { ...DEFAULT_KNOBS },
  };
  for (let i = 0; i < argv.length; i++) {
    const [k, inline] = argv[i].startsWith('--') ? argv[i].slice(2).split(/=(.*)/s) : [null];
    if (!k) throw new Error(`unexpected argument ${argv[i]}`);
    const value = () => inline ?? argv[++i];
    if (k === 'before') a.before = value();
    else if (k === 'before-dir') a.beforeDir = path.resolve(value());
    else if (k === 'after') a.after = path.resolve(value());
    else if (k === 'scenarios') a.scenarios = value().split(',');
    else if (k === 'pairs') a.pairs = Number(value());
    else if (k === 'budget-min') a.budgetMin = Number(value());
    else if (k === 'run-timeout-min') a.runTimeoutMin = Number(value());
    else if (k === 'out') a.out = value();
    else if (k === 'quick') a.quick = true;
    else if (k === 'from') a.from = value();
    else a.knobs[k] = value();
  }
  if (!a.before && !a.from) throw new Error('--before <commit> is required');
  return a;
}

const git = (...args) =>
  execFileSync('git', ['-C', ROOT, ...args])
    .toString()
    .trim();

/** The before build: a detached worktree at the commit, installed and built once. */
function prepareBefore(commit, dir) {
  const sha = git('rev-parse', '--verify', `${commit}^{commit}`);
  dir ??= path.resolve(ROOT, '..', `bench-before-${sha.slice(0, 7)}`);
  if (!existsSync(dir)) {
    console.log(`compare: git worktree add --detach ${dir} ${sha.slice(0, 7)}`);
    execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', dir, sha], {
      stdio: 'inherit',
    });
  }
  const head = execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD']).toString().trim();
  if (head !== sha) throw new Error(`${dir} is at ${head.slice(0, 7)}, not ${sha.slice(0, 7)}`);
  if (!existsSync(path.join(dir, 'node_modules'))) {
    console.log(`compare: npm ci in ${dir}`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'ignore' });
  }
  if (!existsSync(path.join(dir, 'dist/src/main.js'))) {
    console.log(`compare: npm run build in ${dir}`);
    execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'ignore' });
  }
  return { dir, sha: sha.slice(0, 7) };
}

/**
 * One run's figures from its results directory: {scenario: {metric: value}}. Ours' rows by their
 * metric; other rows (a reference such as "pg direct", the bus's two drivers) under
 * "<impl>: <metric>", so rows of one metric name never overwrite each other.
 */
function figuresOf(outDir, scenarios) {
  const figures = {};
  for (const s of scenarios) {
    try {
      const res = JSON.parse(readFileSync(path.resolve(ROOT, outDir, `${s}.json`), 'utf8'));
      figures[s] = Object.fromEntries(
        res.rows
          .filter((r) => typeof r.value === 'number')
          .map((r) => [r.impl === 'ours' ? r.metric : `${r.impl}: ${r.metric}`, r.value]),
      );
    } catch {
      figures[s] = null;
    }
  }
  return figures;
}

/** One run.mjs of the scenarios against one build; answers {scenario: {metric: value}}. */
function runOnce(args, build, k) {
  const outDir = path.join(args.out, `${build.label}-${k}`);
  const knobArgs = Object.entries(args.knobs).map(([key, v]) => `--${key}=${v}`);
  const cmd = [
    'bench/run.mjs',
    ...args.scenarios,
    '--impl',
    'ours',
    '--out',
    outDir,
    ...(args.quick ? ['--quick'] : []),
    ...knobArgs,
  ];
  console.log(`compare: [${build.label} ${k}] node ${cmd.join(' ')}  (BENCH_APP_DIR=${build.dir})`);
  const psi0 = pressureTotalUs();
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, cmd, {
      cwd: ROOT,
      env: { ...process.env, BENCH_APP_DIR: build.dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (d) => {
      for (const line of d.toString().split('\n'))
        if (/^\[\s*\d+s\]/.test(line)) console.log(`    ${line}`);
    });
    const timer = setTimeout(() => {
      console.error(`compare: run exceeded ${args.runTimeoutMin} min; stopping it`);
      child.kill('SIGINT');
    }, args.runTimeoutMin * 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const wallMs = Date.now() - t0;
      const figures = figuresOf(outDir, args.scenarios);
      resolve({
        build: build.label,
        k,
        code,
        wallMs,
        cpuPressurePct: pressurePct(psi0, pressureTotalUs(), wallMs) ?? NaN,
        figures,
      });
    });
  });
}

const fmt = (x, d = 2) => (x === null || x === undefined ? '-' : Number(x.toFixed(d)).toString());

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.from) {
    // The tables again from an earlier comparison's runs (their results directories), no run.
    const prev = JSON.parse(readFileSync(path.resolve(ROOT, args.from), 'utf8'));
    args.out = path.dirname(path.resolve(ROOT, args.from));
    args.scenarios = prev.scenarios;
    args.knobs = prev.knobs;
    const runs = prev.runs.map((r) => ({
      ...r,
      figures: figuresOf(path.join(args.out, `${r.build}-${r.k}`), prev.scenarios),
    }));
    return report(
      args,
      [prev.before, prev.after],
      runs,
      Date.parse(prev.startedAt),
      prev.durationMs,
    );
  }
  const before = prepareBefore(args.before, args.beforeDir);
  if (!existsSync(path.join(args.after, 'dist/src/main.js')))
    throw new Error(`${args.after}/dist/src/main.js is missing: npm run build first`);
  const afterSha = execFileSync('git', ['-C', args.after, 'rev-parse', '--short=7', 'HEAD'])
    .toString()
    .trim();
  const builds = [
    { label: 'before', dir: before.dir, sha: before.sha },
    { label: 'after', dir: args.after, sha: afterSha },
  ];
  mkdirSync(path.resolve(ROOT, args.out), { recursive: true });
  console.log(
    `compare: before ${before.sha} (${before.dir}), after ${afterSha} (${args.after}); ${args.scenarios.join(', ')}; up to ${args.pairs} pairs within ${args.budgetMin} min`,
  );
  const started = Date.now();
  const runs = [];
  for (let k = 1; k <= args.pairs; k++) {
    if (k > 1) {
      // No new pair when the last one would not fit in the budget.
      const pairMs = (Date.now() - started) / (k - 1);
      if (Date.now() - started + pairMs > args.budgetMin * 60_000) {
        console.log(`compare: time budget reached after ${k - 1} pairs`);
        break;
      }
    }
    for (const b of builds) {
      const r = await runOnce(args, b, k);
      console.log(
        `compare: [${b.label} ${k}] exit ${r.code}, ${(r.wallMs / 1000).toFixed(0)} s, cpu pressure ${r.cpuPressurePct.toFixed(0)}%`,
      );
      runs.push(r);
    }
  }

  return report(args, builds, runs, started, Date.now() - started);
}

/** Medians per build and ratios after / before, per scenario and metric: compare.json and .md. */
function report(args, builds, runs, started, durationMs) {
  const table = [];
  for (const s of args.scenarios) {
    const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.figures[s] ?? {})))];
    for (const m of metrics) {
      const of = (label) =>
        runs.filter((r) => r.build === label).map((r) => r.figures[s]?.[m] ?? NaN);
      const b = of('before');
      const a = of('after');
      const pairRatios = b.map((x, i) => a[i] / x).filter((x) => Number.isFinite(x));
      const mb = median(b);
      const ma = median(a);
      table.push({
        scenario: s,
        metric: m,
        before: b,
        after: a,
        beforeMedian: mb,
        afterMedian: ma,
        ratio: mb ? ma / mb : null,
        pairRatioMedian: median(pairRatios),
      });
    }
  }
  const result = {
    startedAt: new Date(started).toISOString(),
    durationMs,
    before: builds[0],
    after: builds[1],
    scenarios: args.scenarios,
    knobs: args.knobs,
    order: runs.map((r) => `${r.build}-${r.k}`),
    runs: runs.map(({ figures: _figures, ...r }) => r),
    cpuPressureMedianPct: median(runs.map((r) => r.cpuPressurePct)),
    table,
  };
  const outDir = path.resolve(ROOT, args.out);
  writeFileSync(path.join(outDir, 'compare.json'), JSON.stringify(result, null, 2));
  const lines = [
    `# ${builds[0].sha} (before) vs ${builds[1].sha} (after)`,
    '',
    `${runs.length} runs taking turns (${result.order.join(', ')}), ${(result.durationMs / 60000).toFixed(0)} min; knobs ${Object.entries(
      args.knobs,
    )
      .map(([k, v]) => `--${k}=${v}`)
      .join(
        ' ',
      )}; machine CPU pressure (PSI some) per run: ${runs.map((r) => `${r.cpuPressurePct.toFixed(0)}%`).join(', ')}`,
    '',
    '| scenario | metric | before (median) | after (median) | after / before | median of pair ratios | before runs | after runs |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...table.map(
      (t) =>
        `| ${t.scenario} | ${t.metric} | ${fmt(t.beforeMedian)} | ${fmt(t.afterMedian)} | ${fmt(t.ratio)} | ${fmt(t.pairRatioMedian)} | ${t.before.map((x) => fmt(x)).join(', ')} | ${t.after.map((x) => fmt(x)).join(', ')} |`,
    ),
    '',
  ];
  writeFileSync(path.join(outDir, 'compare.md'), lines.join('\n'));
  console.log(`\n${lines.join('\n')}`);
  console.log(`compare: ${path.relative(ROOT, path.join(outDir, 'compare.md'))}`);
  return runs.every((r) => r.code === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err.stack ?? err);
    process.exit(1);
  },
);
