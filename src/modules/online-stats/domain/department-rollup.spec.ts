import { describe, expect, it } from '@jest/globals';
import { rollUpByDepartment, UNASSIGNED } from './department-rollup.js';
import { HOUR_MS, type SessionSpan } from './online-time.js';

const T = (iso: string) => new Date(iso);
const range = { from: T('2025-03-04T00:00:00Z'), to: T('2025-03-05T00:00:00Z') };
const now = T('2025-03-10T00:00:00Z');

describe('rollUpByDepartment', () => {
  const departments = [
    { id: 'd-eng', parentId: null, name: 'Engineering' },
    { id: 'd-be', parentId: 'd-eng', name: 'Backend' },
    { id: 'd-empty', parentId: null, name: 'Empty' },
  ];
  const sessions: Record<string, SessionSpan[]> = {
    // Two devices overlapping: 2 hours, not 3.
    alice: [
      { openedAt: T('2025-03-04T10:00:00Z'), closedAt: T('2025-03-04T11:00:00Z') },
      { openedAt: T('2025-03-04T10:00:00Z'), closedAt: T('2025-03-04T12:00:00Z') },
    ],
    bob: [{ openedAt: T('2025-03-04T10:00:00Z'), closedAt: T('2025-03-04T11:00:00Z') }],
    carol: [{ openedAt: T('2025-03-04T09:00:00Z'), closedAt: T('2025-03-04T10:00:00Z') }],
    dave: [],
    erin: [{ openedAt: T('2025-03-04T23:30:00Z'), closedAt: null }],
  };
  const of = (u: string) => sessions[u] ?? [];

  it("sums each member's own union per department; the parent does not include its children", () => {
    const out = rollUpByDepartment(
      departments,
      [
        { userId: 'alice', departmentId: 'd-eng' },
        { userId: 'bob', departmentId: 'd-eng' },
        { userId: 'carol', departmentId: 'd-be' },
        { userId: 'dave', departmentId: null },
        { userId: 'erin', departmentId: null },
      ],
      of,
      range,
      now,
    );
    expect(out).toEqual([
      {
        departmentId: 'd-eng',
        parentId: null,
        name: 'Engineering',
        memberCount: 2,
        activeMembers: 2,
        ms: 3 * HOUR_MS, // alice 2 h (union of her devices) + bob 1 h: two people, summed
      },
      {
        departmentId: 'd-be',
        parentId: 'd-eng',
        name: 'Backend',
        memberCount: 1,
        activeMembers: 1,
        ms: HOUR_MS,
      },
      {
        departmentId: 'd-empty',
        parentId: null,
        name: 'Empty',
        memberCount: 0,
        activeMembers: 0,
        ms: 0,
      },
      {
        departmentId: null,
        parentId: null,
        name: UNASSIGNED,
        memberCount: 2,
        activeMembers: 1,
        ms: 30 * 60_000, // erin's open session, clipped at the range's end
      },
    ]);
  });

  it('a member in an unknown department counts as unassigned', () => {
    const out = rollUpByDepartment([], [{ userId: 'bob', departmentId: 'gone' }], of, range, now);
    expect(out).toEqual([
      {
        departmentId: null,
        parentId: null,
        name: UNASSIGNED,
        memberCount: 1,
        activeMembers: 1,
        ms: HOUR_MS,
      },
    ]);
  });
});
