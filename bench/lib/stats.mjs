// Small statistics shared by the runners that repeat scenarios (compare.mjs, repeat.mjs).
import { readFileSync } from 'node:fs';

/** The median of the finite values, or null when there is none. */
export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * Linux CPU pressure (PSI "some" total, µs): time during which a runnable task waited for a
 * CPU. Its delta over a wall time says how oversubscribed the machine was; null off Linux.
 */
export function pressureTotalUs() {
  try {
    return Number(/some .*total=(\d+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))[1]);
  } catch {
    return null;
  }
}

/** CPU pressure in percent between two pressureTotalUs() readings `wallMs` apart. */
export function pressurePct(us0, us1, wallMs) {
  return us0 === null || us1 === null || wallMs <= 0 ? null : (100 * (us1 - us0)) / 1000 / wallMs;
}
