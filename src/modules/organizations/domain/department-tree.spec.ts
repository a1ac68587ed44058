import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import {
  assertNoCycle,
  buildDepartmentTree,
  wouldCreateCycle,
  type DepartmentCount,
  type DepartmentNode,
} from './department-tree.js';

// root
// ├── a
// │   └── a1
// │       └── a11
// └── b
// c (another top-level department)
const parents = new Map<string, string | null>([
  ['root', null],
  ['a', 'root'],
  ['a1', 'a'],
  ['a11', 'a1'],
  ['b', 'root'],
  ['c', null],
]);

describe('wouldCreateCycle', () => {
  it('refuses a department under itself', () => {
    expect(wouldCreateCycle('a', 'a', parents)).toBe(true);
  });

  it('refuses a department under its child or any deeper descendant', () => {
    expect(wouldCreateCycle('a', 'a1', parents)).toBe(true);
    expect(wouldCreateCycle('a', 'a11', parents)).toBe(true);
    expect(wouldCreateCycle('root', 'a11', parents)).toBe(true);
  });

  it('allows moves elsewhere: to the top, under a sibling, under an ancestor, to another tree', () => {
    expect(wouldCreateCycle('a', null, parents)).toBe(false);
    expect(wouldCreateCycle('a', 'b', parents)).toBe(false);
    expect(wouldCreateCycle('a11', 'root', parents)).toBe(false);
    expect(wouldCreateCycle('a', 'c', parents)).toBe(false);
    expect(wouldCreateCycle('c', 'a11', parents)).toBe(false);
  });

  it('stops on a loop already in the data instead of walking forever', () => {
    const looped = new Map<string, string | null>([
      ['x', 'y'],
      ['y', 'x'],
      ['z', null],
    ]);
    expect(wouldCreateCycle('z', 'x', looped)).toBe(true);
  });

  it('treats a parent missing from the map as a root', () => {
    expect(wouldCreateCycle('a', 'unknown', parents)).toBe(false);
  });

  it('assertNoCycle throws 409 DEPARTMENT_CYCLE only for a loop', () => {
    let err: unknown;
    try {
      assertNoCycle('a', 'a11', parents);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind: 'conflict', code: 'DEPARTMENT_CYCLE' });
    expect(() => assertNoCycle('a', 'b', parents)).not.toThrow();
  });

  it('handles a very deep chain', () => {
    const deep = new Map<string, string | null>([['d0', null]]);
    for (let i = 1; i < 100_000; i++) deep.set(`d${i}`, `d${i - 1}`);
    expect(wouldCreateCycle('d0', 'd99999', deep)).toBe(true);
    expect(wouldCreateCycle('d99999', 'd0', deep)).toBe(false);
  });
});

describe('buildDepartmentTree', () => {
  const flat: DepartmentCount[] = [
    { id: 'root', name: 'Root', parentId: null, memberCount: 1 },
    { id: 'a', name: 'A', parentId: 'root', memberCount: 2 },
    { id: 'a1', name: 'A1', parentId: 'a', memberCount: 3 },
    { id: 'a11', name: 'A11', parentId: 'a1', memberCount: 4 },
    { id: 'b', name: 'B', parentId: 'root', memberCount: 0 },
    { id: 'c', name: 'C', parentId: null, memberCount: 5 },
  ];
  const shape = (n: DepartmentNode): unknown => [
    n.id,
    n.memberCount,
    n.totalMemberCount,
    n.children.map(shape),
  ];

  it('nests departments under their parents, in input order, with direct and subtree counts', () => {
    expect(buildDepartmentTree(flat).map(shape)).toEqual([
      [
        'root',
        1,
        10,
        [
          ['a', 2, 9, [['a1', 3, 7, [['a11', 4, 4, []]]]]],
          ['b', 0, 0, []],
        ],
      ],
      ['c', 5, 5, []],
    ]);
  });

  it('keeps the parentId of each node and accepts children listed before their parent', () => {
    const [root] = buildDepartmentTree([...flat].reverse().filter((d) => d.id !== 'c'));
    expect(root.id).toBe('root');
    expect(root.parentId).toBeNull();
    expect(root.children.map((c) => [c.id, c.parentId])).toEqual([
      ['b', 'root'],
      ['a', 'root'],
    ]);
    expect(root.totalMemberCount).toBe(10);
  });

  it('answers [] for no departments', () => {
    expect(buildDepartmentTree([])).toEqual([]);
  });

  it('treats a department whose parent is missing as a root and leaves a loop out', () => {
    const tree = buildDepartmentTree([
      { id: 'orphan', name: 'O', parentId: 'gone', memberCount: 1 },
      { id: 'x', name: 'X', parentId: 'y', memberCount: 1 },
      { id: 'y', name: 'Y', parentId: 'x', memberCount: 1 },
    ]);
    expect(tree.map(shape)).toEqual([['orphan', 1, 1, []]]);
  });

  it('builds a very deep tree without exhausting the stack', () => {
    const deep: DepartmentCount[] = [];
    for (let i = 0; i < 50_000; i++)
      deep.push({ id: `d${i}`, name: `D${i}`, parentId: i ? `d${i - 1}` : null, memberCount: 1 });
    const [top] = buildDepartmentTree(deep);
    expect(top.totalMemberCount).toBe(50_000);
    let n = top;
    while (n.children.length) n = n.children[0];
    expect(n.id).toBe('d49999');
    expect(n.totalMemberCount).toBe(1);
  });
});
