#!/usr/bin/env node
// Prints the top self-time frames of a V8 .cpuprofile (from `node --cpu-prof`), and the same
// time grouped by package / source area.
//
//   node bench/lib/top-profile.mjs <file.cpuprofile> [--top 25] [--callers <function name>]
//
// --callers prints the call paths (leaf first, 6 frames deep) that lead to the named
// function, weighted by its self time: who is paying for a hot native frame such as writev.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const top = Number(args[args.indexOf('--top') + 1]) || 25;
const callersOf = args.includes('--callers') ? args[args.indexOf('--callers') + 1] : null;
const depth = Number(args[args.indexOf('--depth') + 1]) || 6;
if (!file) {
  console.error('usage: node bench/lib/top-profile.mjs <file.cpuprofile> [--top 25]');
  process.exit(64);
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const fileArg = args.find(
  (a, i) => !a.startsWith('--') && !['--top', '--callers'].includes(args[i - 1]),
);
if (fileArg !== file) throw new Error('usage: file first');

// Self time per node: each sample's time delta goes to the node it hit.
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const { samples = [], timeDeltas = [] } = prof;
for (let i = 0; i < samples.length; i++)
  self.set(samples[i], (self.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
const totalUs = [...self.values()].reduce((a, b) => a + b, 0);

function short(url) {
  if (!url) return '';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm + 'node_modules/'.length);
  const d = u.indexOf('/dist/');
  if (d >= 0) return u.slice(d + 1);
  return u.replace(/^.*\/work\/main\//, '');
}

function area(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native/V8)';
  const s = short(url);
  if (url.includes('node_modules/')) {
    const parts = s.split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (s.startsWith('node:')) return s.split('/')[0];
  if (s.startsWith('dist/')) return s.split('/').slice(0, 4).join('/');
  return s;
}

const frames = new Map();
const areas = new Map();
for (const [id, us] of self) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const name = cf.functionName || '(anonymous)';
  const key = `${name} ${short(cf.url)}:${cf.lineNumber + 1}`;
  frames.set(key, (frames.get(key) ?? 0) + us);
  const a = area(cf.url, name);
  areas.set(a, (areas.get(a) ?? 0) + us);
}

const pct = (us) => ((100 * us) / totalUs).toFixed(1).padStart(5);
const ms = (us) => (us / 1000).toFixed(0).padStart(7);
console.log(`${file}: ${(totalUs / 1e6).toFixed(1)} s sampled, ${samples.length} samples`);
console.log(`\ntop ${top} self-time frames:`);
console.log('   self ms      %  function  location');
for (const [k, us] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${ms(us)}  ${pct(us)}  ${k}`);
console.log('\nself time by package / source area:');
for (const [k, us] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`  ${ms(us)}  ${pct(us)}  ${k}`);

if (callersOf) {
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const paths = new Map();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if ((n.callFrame.functionName || '(anonymous)') !== callersOf) continue;
    const chain = [];
    for (let p = parent.get(id); p !== undefined && chain.length < depth; p = parent.get(p)) {
      const cf = byId.get(p).callFrame;
      chain.push(`${cf.functionName || '(anonymous)'} ${short(cf.url)}:${cf.lineNumber + 1}`);
    }
    const key = chain.join('\n        <- ');
    paths.set(key, (paths.get(key) ?? 0) + us);
  }
  console.log(`\ncall paths into ${callersOf}:`);
  for (const [k, us] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, 8))
    console.log(`  ${ms(us)}  ${pct(us)}  ${k}\n`);
}
