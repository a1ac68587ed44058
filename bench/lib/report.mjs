// Results: a console table per scenario (absolute figures and the ratios ours/ws and
// ours/Socket.IO), bench/results/<scenario>.json and a hand-written SVG chart beside it
// (throughput bars; p50/p99/p99.9 latency as grouped bars on a log scale).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const IMPL_LABEL = {
  ours: 'ours',
  ws: 'bare ws',
  'ws-corked': 'ws corked',
  socketio: 'Socket.IO',
  'pg-direct': 'pg direct',
};
const COLORS = {
  ours: '#2563eb',
  ws: '#6b7280',
  'ws-corked': '#374151',
  socketio: '#f59e0b',
  'pg-direct': '#10b981',
};
const color = (impl) => COLORS[impl] ?? '#8b5cf6';

function fmt(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v) && Math.abs(v) < 100000) {
    const n = v.toLocaleString('en-US');
    return unit ? `${n} ${unit}` : n;
  }
  const abs = Math.abs(v);
  const s =
    abs >= 100000
      ? Math.round(v).toLocaleString('en-US')
      : abs >= 100
        ? v.toFixed(0)
        : abs >= 10
          ? v.toFixed(1)
          : v.toFixed(2);
  return unit ? `${s} ${unit}` : s;
}

/**
 * rows: [{impl, metric, value, unit, target?, pass?}] (numbers). Ratios are computed for ours'
 * rows against the same metric of the ws and socketio rows.
 */
export function ratios(rows) {
  const find = (impl, metric) => rows.find((r) => r.impl === impl && r.metric === metric);
  return rows.map((r) => {
    if (r.impl !== 'ours' && !r.impl.startsWith('ours')) return { ...r };
    const ws = find('ws', r.metric);
    const sio = find('socketio', r.metric);
    const ratio = (b) =>
      typeof r.value === 'number' && typeof b?.value === 'number' && b.value !== 0
        ? r.value / b.value
        : null;
    return { ...r, vsWs: ratio(ws), vsSocketio: ratio(sio) };
  });
}

export function printTable(scenario, rows, notes = []) {
  const header = ['scenario', 'impl', 'metric', 'value', 'ours/ws', 'ours/socketio', 'target'];
  const lines = rows.map((r) => [
    scenario,
    IMPL_LABEL[r.impl] ?? r.impl,
    r.metric,
    fmt(r.value, r.unit),
    r.vsWs == null ? '' : `${r.vsWs.toFixed(2)}x`,
    r.vsSocketio == null ? '' : `${r.vsSocketio.toFixed(2)}x`,
    r.target
      ? `${r.target} ${r.pass === true ? 'PASS' : r.pass === false ? 'MISS' : ''}`.trim()
      : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  const out = [
    row(header),
    '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|',
    ...lines.map(row),
  ];
  console.log(`\n== ${scenario}`);
  console.log(out.join('\n'));
  for (const n of notes) console.log(`  note: ${n}`);
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The next 1, 2, 2.5 or 5 x 10^k at or above v (axis top with round quarter ticks). */
function niceMax(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Vertical bars, linear scale from 0. items: [{label, value, impl}] */
function barPanel({ x, y, w, h, title, unit, items }) {
  const out = [
    `<text x="${x + w / 2}" y="${y - 12}" text-anchor="middle" class="t">${esc(title)}</text>`,
  ];
  const vals = items.map((i) => i.value).filter((v) => typeof v === 'number' && v > 0);
  const max = niceMax(vals.length ? Math.max(...vals) * 1.1 : 1);
  out.push(`<line x1="${x}" y1="${y + h}" x2="${x + w}" y2="${y + h}" class="axis"/>`);
  for (let g = 0; g <= 4; g++) {
    const gy = y + h - (g / 4) * h;
    out.push(`<line x1="${x}" y1="${gy}" x2="${x + w}" y2="${gy}" class="grid"/>`);
    out.push(
      `<text x="${x - 6}" y="${gy + 4}" text-anchor="end" class="s">${esc(fmt((max * g) / 4))}</text>`,
    );
  }
  const bw = Math.min(90, (w / Math.max(1, items.length)) * 0.6);
  items.forEach((it, k) => {
    const cx = x + ((k + 0.5) * w) / items.length;
    const v = typeof it.value === 'number' ? it.value : 0;
    const bh = (v / max) * h;
    out.push(
      `<rect x="${cx - bw / 2}" y="${y + h - bh}" width="${bw}" height="${bh}" fill="${color(it.impl)}"/>`,
    );
    out.push(
      `<text x="${cx}" y="${y + h - bh - 5}" text-anchor="middle" class="s">${esc(fmt(it.value))}</text>`,
    );
    out.push(
      `<text x="${cx}" y="${y + h + 16}" text-anchor="middle" class="s">${esc(it.label)}</text>`,
    );
  });
  out.push(
    `<text x="${x - 48}" y="${y + h / 2}" transform="rotate(-90 ${x - 48} ${y + h / 2})" text-anchor="middle" class="s">${esc(unit)}</text>`,
  );
  return out.join('\n');
}

/** Grouped bars on a log10 scale. groups: [{label, impl, values: [p50, p99, p999]}] */
function latencyPanel({ x, y, w, h, title, series, groups }) {
  const out = [
    `<text x="${x + w / 2}" y="${y - 12}" text-anchor="middle" class="t">${esc(title)}</text>`,
  ];
  const vals = groups.flatMap((g) => g.values).filter((v) => typeof v === 'number' && v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.01, Math.min(...vals, 1)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...vals, 1) * 1.2)));
  const sy = (v) =>
    y +
    h -
    ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * h;
  for (let d = lo; d <= hi * 1.001; d *= 10) {
    out.push(`<line x1="${x}" y1="${sy(d)}" x2="${x + w}" y2="${sy(d)}" class="grid"/>`);
    out.push(
      `<text x="${x - 6}" y="${sy(d) + 4}" text-anchor="end" class="s">${esc(fmt(d))}</text>`,
    );
  }
  out.push(`<line x1="${x}" y1="${y + h}" x2="${x + w}" y2="${y + h}" class="axis"/>`);
  const gw = w / Math.max(1, groups.length);
  const bw = Math.min(36, (gw * 0.8) / series.length);
  const shades = [0.45, 0.75, 1];
  groups.forEach((g, k) => {
    const gx = x + k * gw + (gw - bw * series.length) / 2;
    g.values.forEach((v, s) => {
      if (typeof v !== 'number') return;
      const top = sy(v);
      out.push(
        `<rect x="${gx + s * bw}" y="${top}" width="${bw - 2}" height="${y + h - top}" fill="${color(g.impl)}" fill-opacity="${shades[s] ?? 1}"/>`,
      );
      out.push(
        `<text x="${gx + s * bw + bw / 2 - 1}" y="${top - 4}" text-anchor="middle" class="xs">${esc(fmt(v))}</text>`,
      );
    });
    out.push(
      `<text x="${x + k * gw + gw / 2}" y="${y + h + 16}" text-anchor="middle" class="s">${esc(g.label)}</text>`,
    );
  });
  series.forEach((s, k) => {
    out.push(
      `<rect x="${x + w - 150 + k * 50}" y="${y - 4}" width="10" height="10" fill="#374151" fill-opacity="${shades[k] ?? 1}"/>`,
    );
    out.push(`<text x="${x + w - 136 + k * 50}" y="${y + 5}" class="xs">${esc(s)}</text>`);
  });
  out.push(
    `<text x="${x - 48}" y="${y + h / 2}" transform="rotate(-90 ${x - 48} ${y + h / 2})" text-anchor="middle" class="s">ms (log scale)</text>`,
  );
  return out.join('\n');
}

export function svgChart({ title, subtitle, bars, latency }) {
  const W = 1000;
  const H = 420;
  const panels = [];
  const both = bars && latency;
  const pw = both ? 380 : 820;
  if (bars) panels.push(barPanel({ x: 90, y: 80, w: pw, h: 260, ...bars }));
  if (latency) panels.push(latencyPanel({ x: both ? 580 : 90, y: 80, w: pw, h: 260, ...latency }));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">
<style>.t{font-size:14px;font-weight:bold;fill:#111827}.s{font-size:11px;fill:#374151}.xs{font-size:9px;fill:#374151}.grid{stroke:#e5e7eb}.axis{stroke:#111827}</style>
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="24" text-anchor="middle" style="font-size:17px;font-weight:bold">${esc(title)}</text>
<text x="${W / 2}" y="44" text-anchor="middle" class="s">${esc(subtitle ?? '')}</text>
${panels.join('\n')}
</svg>
`;
}

export function writeResults(outDir, scenario, result) {
  mkdirSync(outDir, { recursive: true });
  const jsonPath = path.join(outDir, `${scenario}.json`);
  writeFileSync(jsonPath, JSON.stringify(result, null, 2));
  const svgPath = path.join(outDir, `${scenario}.svg`);
  if (result.chart) writeFileSync(svgPath, svgChart(result.chart));
  return { jsonPath, svgPath };
}

export { IMPL_LABEL, fmt };
