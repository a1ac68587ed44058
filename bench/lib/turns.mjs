// Open-loop load over several targets taking turns (history, search): a reference and the
// service under test share the same stretch of time, so the machine's hiccups land on both.
import { cpuPressureUs, sleep } from './harness.mjs';
import { Histogram } from './histogram.mjs';

/**
 * Open loop over several targets in alternating slices (A for `sliceMs`, then B, then A ...):
 * requests are due at t0 + k / rate and each goes to the target whose slice it falls in, so the
 * targets take turns through the same stretch of time and share whatever else the machine does
 * in it, without loading each other. Latency counts from when a request was due. Each target
 * gets `rate` for `durationMs` in all (the run lasts durationMs × the number of targets).
 */
export async function openLoop({
  rate,
  durationMs,
  sliceMs = 1000,
  maxInFlight = 256,
  targets,
  onSlow,
}) {
  const names = Object.keys(targets);
  const total = Math.floor((rate * durationMs * names.length) / 1000);
  const st = Object.fromEntries(
    names.map((n) => [
      n,
      { h: new Histogram(), sent: 0, errors: 0, dropped: 0, inFlight: 0, samples: [] },
    ]),
  );
  const cpu0 = process.cpuUsage();
  const psi0 = cpuPressureUs();
  const t0 = performance.now() + 2;
  const hardStop = t0 + durationMs + 10_000;
  let k = 0;
  const pending = new Set();
  const fire = (name, due, i) => {
    const t = st[name];
    t.sent++;
    if (t.inFlight >= maxInFlight) {
      t.dropped++;
      return;
    }
    t.inFlight++;
    const p = targets[name](i)
      .then(() => {
        const ms = performance.now() - due;
        t.h.record(ms * 1000);
        onSlow?.(name, (due - t0) / 1000, ms);
      })
      .catch((err) => {
        t.errors++;
        if (t.samples.length < 3) t.samples.push(String(err.message ?? err));
      })
      .finally(() => {
        t.inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  };
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (k < total && t0 + (k * 1000) / rate <= now) {
        const due = t0 + (k * 1000) / rate;
        fire(names[Math.floor((due - t0) / sliceMs) % names.length], due, k);
        k++;
      }
      if (k >= total || now > hardStop) return resolve();
      setTimeout(tick, Math.max(0, t0 + (k * 1000) / rate - performance.now()));
    };
    tick();
  });
  await Promise.race([Promise.all(pending), sleep(10_000)]);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const psi1 = cpuPressureUs();
  const shared = {
    requests: k,
    loadgenCpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
    cpuPressurePct: psi0 !== null && psi1 !== null ? (100 * (psi1 - psi0)) / 1000 / wallMs : null,
    wallMs,
    // The time each target had (its slices).
    activeMs: wallMs / names.length,
  };
  return Object.fromEntries(
    names.map((n) => [
      n,
      {
        ...shared,
        requests: st[n].sent,
        errors: st[n].errors,
        dropped: st[n].dropped,
        errorSamples: st[n].samples,
        latency: st[n].h.summaryMs(),
      },
    ]),
  );
}
