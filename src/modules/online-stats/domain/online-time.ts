// Online time: how long a user was connected, per period. Pure functions, no framework imports.
//
// A user is online while at least one of their WebSocket sessions is open. Two devices at once
// count once: the sessions' intervals are united before they are measured, never summed.
import { Errors } from '../../../common/errors/domain-error.js';

export const GRANULARITIES = ['day', 'hour'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The longest range one question may cover, per granularity (bounds the answer's length). */
export const MAX_RANGE_MS: Record<Granularity, number> = {
  day: 366 * DAY_MS,
  hour: 31 * DAY_MS,
};

/** A half-open time interval [start, end) in epoch milliseconds. */
export interface Interval {
  start: number;
  end: number;
}

/** One recorded WebSocket session, as the ledger holds it. */
export interface SessionSpan {
  openedAt: Date;
  /** When it closed; null while it is open. */
  closedAt: Date | null;
  /**
   * For a session still open whose instance's lease has lapsed (the instance died and no sweeper
   * has closed the session yet): that instance's last renewal, where the sweeper will close it.
   */
  lostAt?: Date | null;
}

export interface PeriodTotal {
  /** Start of the period (UTC). */
  start: Date;
  /** Milliseconds online within the period and the asked range. */
  ms: number;
}

export interface OnlineTime {
  totalMs: number;
  periods: PeriodTotal[];
}

/** Where a session ends for counting: its close, else where it will be closed, else now. */
export function effectiveEnd(s: SessionSpan, now: Date): number {
  if (s.closedAt) return s.closedAt.getTime();
  if (s.lostAt) return Math.min(s.lostAt.getTime(), now.getTime());
  return now.getTime();
}

/**
 * The union of intervals clipped to [from, to): sorted, disjoint, non-empty. Intervals that
 * overlap or touch are merged; empty or inverted ones (clock skew) are dropped.
 */
export function unionWithin(intervals: readonly Interval[], from: number, to: number): Interval[] {
  const clipped = intervals
    .map((i) => ({ start: Math.max(i.start, from), end: Math.min(i.end, to) }))
    .filter((i) => i.end > i.start)
    .sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Interval[] = [];
  for (const i of clipped) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

/** Start (UTC) of the period containing `t`. */
export function periodStart(t: number, g: Granularity): number {
  const size = g === 'day' ? DAY_MS : HOUR_MS;
  return Math.floor(t / size) * size;
}

const periodSize = (g: Granularity): number => (g === 'day' ? DAY_MS : HOUR_MS);

/** A period's label: `2025-01-31` (day) or `2025-01-31T13` (hour), UTC. */
export function periodLabel(start: Date, g: Granularity): string {
  const iso = start.toISOString();
  return g === 'day' ? iso.slice(0, 10) : iso.slice(0, 13);
}

/**
 * Splits disjoint intervals (from `unionWithin`) into the periods that overlap [from, to): one
 * entry per period, in order, zeros included, so a chart gets a gap-free series.
 */
export function splitByPeriod(
  union: readonly Interval[],
  from: number,
  to: number,
  g: Granularity,
): PeriodTotal[] {
  const size = periodSize(g);
  const out: PeriodTotal[] = [];
  if (to <= from) return out;
  const first = periodStart(from, g);
  for (let p = first; p < to; p += size) out.push({ start: new Date(p), ms: 0 });
  for (const i of union) {
    let t = i.start;
    while (t < i.end) {
      const p = periodStart(t, g);
      const end = Math.min(i.end, p + size);
      out[(p - first) / size].ms += end - t;
      t = end;
    }
  }
  return out;
}

/** Milliseconds covered by disjoint intervals. */
export const coveredMs = (union: readonly Interval[]): number =>
  union.reduce((sum, i) => sum + (i.end - i.start), 0);

/**
 * A user's online time within [from, to), per period: the union of their sessions (so
 * concurrent sessions on several devices count once), open sessions running until `now`.
 */
export function onlineTime(
  sessions: readonly SessionSpan[],
  range: { from: Date; to: Date },
  g: Granularity,
  now: Date,
): OnlineTime {
  const from = range.from.getTime();
  const to = range.to.getTime();
  const union = unionWithin(
    sessions.map((s) => ({ start: s.openedAt.getTime(), end: effectiveEnd(s, now) })),
    from,
    to,
  );
  return { totalMs: coveredMs(union), periods: splitByPeriod(union, from, to, g) };
}

/** Online milliseconds within [from, to), without the split (organisation roll-ups). */
export function onlineMs(
  sessions: readonly SessionSpan[],
  range: { from: Date; to: Date },
  now: Date,
): number {
  return coveredMs(
    unionWithin(
      sessions.map((s) => ({ start: s.openedAt.getTime(), end: effectiveEnd(s, now) })),
      range.from.getTime(),
      range.to.getTime(),
    ),
  );
}

/** Seconds for an answer, to the nearest second. */
export const toSeconds = (ms: number): number => Math.round(ms / 1000);

/**
 * A question's range: `from` before `to`, no longer than the granularity allows. Throws a
 * validation error naming the field.
 */
export function checkRange(from: Date, to: Date, maxMs: number): void {
  if (Number.isNaN(from.getTime())) throw Errors.validation('VALIDATION_FAILED', 'from is invalid');
  if (Number.isNaN(to.getTime())) throw Errors.validation('VALIDATION_FAILED', 'to is invalid');
  if (from.getTime() >= to.getTime())
    throw Errors.validation('VALIDATION_FAILED', 'from must be before to');
  if (to.getTime() - from.getTime() > maxMs)
    throw Errors.validation(
      'VALIDATION_FAILED',
      `to - from must not exceed ${Math.round(maxMs / DAY_MS)} days`,
    );
}
