import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import {
  DAY_MS,
  HOUR_MS,
  MAX_RANGE_MS,
  checkRange,
  coveredMs,
  effectiveEnd,
  onlineMs,
  onlineTime,
  periodLabel,
  periodStart,
  splitByPeriod,
  toSeconds,
  unionWithin,
  type SessionSpan,
} from './online-time.js';

const T = (iso: string) => new Date(iso);
const ms = (iso: string) => Date.parse(iso);
const span = (open: string, close: string | null, lost?: string): SessionSpan => ({
  openedAt: T(open),
  closedAt: close === null ? null : T(close),
  lostAt: lost ? T(lost) : null,
});

const codeOf = (fn: () => void) => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : 'other';
  }
};

describe('unionWithin', () => {
  const R = { from: 0, to: 1000 };

  it('keeps disjoint intervals, sorted', () => {
    expect(
      unionWithin(
        [
          { start: 500, end: 600 },
          { start: 100, end: 200 },
        ],
        R.from,
        R.to,
      ),
    ).toEqual([
      { start: 100, end: 200 },
      { start: 500, end: 600 },
    ]);
  });

  it('merges overlapping intervals (two devices at once count once)', () => {
    expect(
      unionWithin(
        [
          { start: 100, end: 400 },
          { start: 300, end: 700 },
        ],
        R.from,
        R.to,
      ),
    ).toEqual([{ start: 100, end: 700 }]);
  });

  it('merges a contained interval and touching intervals', () => {
    expect(
      unionWithin(
        [
          { start: 100, end: 900 },
          { start: 200, end: 300 },
          { start: 900, end: 950 },
        ],
        R.from,
        R.to,
      ),
    ).toEqual([{ start: 100, end: 950 }]);
  });

  it('merges chains in any input order', () => {
    expect(
      unionWithin(
        [
          { start: 600, end: 800 },
          { start: 100, end: 300 },
          { start: 250, end: 650 },
          { start: 900, end: 910 },
        ],
        R.from,
        R.to,
      ),
    ).toEqual([
      { start: 100, end: 800 },
      { start: 900, end: 910 },
    ]);
  });

  it('clips to [from, to) and drops what lies outside', () => {
    expect(
      unionWithin(
        [
          { start: -500, end: 50 },
          { start: 990, end: 5000 },
          { start: 2000, end: 3000 },
          { start: -10, end: -1 },
        ],
        R.from,
        R.to,
      ),
    ).toEqual([
      { start: 0, end: 50 },
      { start: 990, end: 1000 },
    ]);
  });

  it('drops empty and inverted intervals (clock skew)', () => {
    expect(
      unionWithin(
        [
          { start: 100, end: 100 },
          { start: 300, end: 200 },
        ],
        R.from,
        R.to,
      ),
    ).toEqual([]);
  });

  it('does not modify its input', () => {
    const input = [
      { start: 100, end: 400 },
      { start: 300, end: 700 },
    ];
    unionWithin(input, 0, 1000);
    expect(input).toEqual([
      { start: 100, end: 400 },
      { start: 300, end: 700 },
    ]);
  });
});

describe('periods', () => {
  it('periodStart floors to the UTC day or hour', () => {
    expect(periodStart(ms('2025-03-04T13:45:10.123Z'), 'day')).toBe(ms('2025-03-04T00:00:00Z'));
    expect(periodStart(ms('2025-03-04T13:45:10.123Z'), 'hour')).toBe(ms('2025-03-04T13:00:00Z'));
    expect(periodStart(ms('2025-03-04T00:00:00Z'), 'day')).toBe(ms('2025-03-04T00:00:00Z'));
  });

  it('labels days and hours', () => {
    expect(periodLabel(T('2025-03-04T00:00:00Z'), 'day')).toBe('2025-03-04');
    expect(periodLabel(T('2025-03-04T13:00:00Z'), 'hour')).toBe('2025-03-04T13');
  });

  it('splitByPeriod lists every period overlapping the range, zeros included', () => {
    const out = splitByPeriod([], ms('2025-03-04T12:00:00Z'), ms('2025-03-07T00:00:00Z'), 'day');
    expect(out.map((p) => [p.start.toISOString(), p.ms])).toEqual([
      ['2025-03-04T00:00:00.000Z', 0],
      ['2025-03-05T00:00:00.000Z', 0],
      ['2025-03-06T00:00:00.000Z', 0],
    ]);
  });

  it('splitByPeriod cuts an interval that spans midnight', () => {
    const out = splitByPeriod(
      [{ start: ms('2025-03-04T23:00:00Z'), end: ms('2025-03-05T01:30:00Z') }],
      ms('2025-03-04T00:00:00Z'),
      ms('2025-03-06T00:00:00Z'),
      'day',
    );
    expect(out.map((p) => p.ms)).toEqual([HOUR_MS, 1.5 * HOUR_MS]);
  });

  it('splitByPeriod cuts an interval spanning several whole periods', () => {
    const out = splitByPeriod(
      [{ start: ms('2025-03-01T12:00:00Z'), end: ms('2025-03-04T06:00:00Z') }],
      ms('2025-03-01T00:00:00Z'),
      ms('2025-03-05T00:00:00Z'),
      'day',
    );
    expect(out.map((p) => p.ms)).toEqual([12 * HOUR_MS, DAY_MS, DAY_MS, 6 * HOUR_MS]);
  });

  it('splitByPeriod by hour', () => {
    const out = splitByPeriod(
      [
        { start: ms('2025-03-04T10:50:00Z'), end: ms('2025-03-04T11:10:00Z') },
        { start: ms('2025-03-04T12:00:00Z'), end: ms('2025-03-04T12:00:30Z') },
      ],
      ms('2025-03-04T10:00:00Z'),
      ms('2025-03-04T13:00:00Z'),
      'hour',
    );
    expect(out.map((p) => [periodLabel(p.start, 'hour'), p.ms])).toEqual([
      ['2025-03-04T10', 10 * 60_000],
      ['2025-03-04T11', 10 * 60_000],
      ['2025-03-04T12', 30_000],
    ]);
  });

  it('splitByPeriod of an empty range is empty', () => {
    expect(splitByPeriod([], 1000, 1000, 'day')).toEqual([]);
  });

  it('the periods add up to the union', () => {
    const union = unionWithin(
      [
        { start: ms('2025-03-01T22:13:00Z'), end: ms('2025-03-02T03:07:00Z') },
        { start: ms('2025-03-02T01:00:00Z'), end: ms('2025-03-03T00:00:01Z') },
      ],
      ms('2025-03-01T00:00:00Z'),
      ms('2025-03-04T00:00:00Z'),
    );
    const parts = splitByPeriod(
      union,
      ms('2025-03-01T00:00:00Z'),
      ms('2025-03-04T00:00:00Z'),
      'hour',
    );
    expect(parts.reduce((s, p) => s + p.ms, 0)).toBe(coveredMs(union));
    expect(parts).toHaveLength(72);
  });
});

describe('effectiveEnd', () => {
  const now = T('2025-03-04T12:00:00Z');
  it('a closed session ends at its close', () => {
    expect(effectiveEnd(span('2025-03-04T10:00:00Z', '2025-03-04T11:00:00Z'), now)).toBe(
      ms('2025-03-04T11:00:00Z'),
    );
  });
  it('an open session runs until now', () => {
    expect(effectiveEnd(span('2025-03-04T10:00:00Z', null), now)).toBe(now.getTime());
  });
  it('an open session of a dead instance ends at its last renewal', () => {
    expect(effectiveEnd(span('2025-03-04T10:00:00Z', null, '2025-03-04T10:30:00Z'), now)).toBe(
      ms('2025-03-04T10:30:00Z'),
    );
  });
});

describe('onlineTime', () => {
  const now = T('2025-03-10T00:00:00Z');

  it('two devices at once: the union, not the sum', () => {
    const sessions = [
      span('2025-03-04T10:00:00Z', '2025-03-04T11:00:00Z'), // phone
      span('2025-03-04T10:30:00Z', '2025-03-04T12:00:00Z'), // laptop
    ];
    const r = onlineTime(
      sessions,
      { from: T('2025-03-04T00:00:00Z'), to: T('2025-03-05T00:00:00Z') },
      'day',
      now,
    );
    expect(r.totalMs).toBe(2 * HOUR_MS);
    expect(r.periods).toEqual([{ start: T('2025-03-04T00:00:00Z'), ms: 2 * HOUR_MS }]);
  });

  it('an open session counts until now, and no further than `to`', () => {
    const sessions = [span('2025-03-09T23:00:00Z', null)];
    expect(
      onlineTime(
        sessions,
        { from: T('2025-03-09T00:00:00Z'), to: T('2025-03-11T00:00:00Z') },
        'day',
        now,
      ).periods.map((p) => p.ms),
    ).toEqual([HOUR_MS, 0]);
    expect(
      onlineTime(
        sessions,
        { from: T('2025-03-09T00:00:00Z'), to: T('2025-03-09T23:30:00Z') },
        'day',
        now,
      ).totalMs,
    ).toBe(30 * 60_000);
  });

  it("a dead instance's open session stops at its last renewal", () => {
    const sessions = [
      span('2025-03-04T10:00:00Z', null, '2025-03-04T10:20:00Z'),
      span('2025-03-04T10:10:00Z', '2025-03-04T10:15:00Z'),
    ];
    expect(
      onlineTime(
        sessions,
        { from: T('2025-03-04T00:00:00Z'), to: T('2025-03-05T00:00:00Z') },
        'day',
        now,
      ).totalMs,
    ).toBe(20 * 60_000);
  });

  it('a session spanning the range boundary is clipped; one after it counts nothing', () => {
    const sessions = [
      span('2025-03-03T23:00:00Z', '2025-03-04T01:00:00Z'),
      span('2025-03-05T00:00:00Z', '2025-03-05T01:00:00Z'),
    ];
    const r = onlineTime(
      sessions,
      { from: T('2025-03-04T00:00:00Z'), to: T('2025-03-05T00:00:00Z') },
      'hour',
      now,
    );
    expect(r.totalMs).toBe(HOUR_MS);
    expect(r.periods).toHaveLength(24);
    expect(r.periods[0]).toEqual({ start: T('2025-03-04T00:00:00Z'), ms: HOUR_MS });
  });

  it('no sessions: zeros for every period', () => {
    const r = onlineTime(
      [],
      { from: T('2025-03-01T00:00:00Z'), to: T('2025-03-08T00:00:00Z') },
      'day',
      now,
    );
    expect(r.totalMs).toBe(0);
    expect(r.periods).toHaveLength(7);
    expect(r.periods.every((p) => p.ms === 0)).toBe(true);
  });

  it('onlineMs agrees with onlineTime', () => {
    const sessions = [
      span('2025-03-04T10:00:00Z', '2025-03-04T11:00:00Z'),
      span('2025-03-04T10:30:00Z', '2025-03-05T02:00:00Z'),
      span('2025-03-06T10:30:00Z', null, '2025-03-06T10:31:00Z'),
    ];
    const range = { from: T('2025-03-04T00:00:00Z'), to: T('2025-03-08T00:00:00Z') };
    expect(onlineMs(sessions, range, now)).toBe(onlineTime(sessions, range, 'day', now).totalMs);
    expect(onlineMs(sessions, range, now)).toBe(16 * HOUR_MS + 60_000);
  });
});

describe('checkRange and toSeconds', () => {
  const max = MAX_RANGE_MS.day;
  it('accepts a valid range', () => {
    expect(codeOf(() => checkRange(T('2025-01-01'), T('2025-01-02'), max))).toBeNull();
    expect(codeOf(() => checkRange(T('2025-01-01'), T('2026-01-02'), max))).toBeNull();
  });
  it('refuses from >= to', () => {
    expect(codeOf(() => checkRange(T('2025-01-02'), T('2025-01-02'), max))).toBe(
      'validation:VALIDATION_FAILED',
    );
    expect(codeOf(() => checkRange(T('2025-01-03'), T('2025-01-02'), max))).toBe(
      'validation:VALIDATION_FAILED',
    );
  });
  it('refuses a range longer than the maximum', () => {
    expect(codeOf(() => checkRange(T('2025-01-01'), T('2026-01-03'), max))).toBe(
      'validation:VALIDATION_FAILED',
    );
    expect(codeOf(() => checkRange(T('2025-01-01'), T('2025-02-02'), MAX_RANGE_MS.hour))).toBe(
      'validation:VALIDATION_FAILED',
    );
  });
  it('refuses invalid dates', () => {
    expect(codeOf(() => checkRange(new Date('x'), T('2025-01-02'), max))).toBe(
      'validation:VALIDATION_FAILED',
    );
  });
  it('rounds to the nearest second', () => {
    expect(toSeconds(1499)).toBe(1);
    expect(toSeconds(1500)).toBe(2);
    expect(toSeconds(0)).toBe(0);
  });
});
