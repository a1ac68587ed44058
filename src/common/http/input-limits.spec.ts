import { describe, expect, it } from '@jest/globals';
import { describeViolation, findInputViolation, MAX_JSON_DEPTH } from './input-limits.js';

const deep = (levels: number): unknown => {
  let v: unknown = 'x';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

describe('findInputViolation', () => {
  it('accepts nesting up to the limit and refuses one level more, naming the top field', () => {
    expect(findInputViolation(deep(MAX_JSON_DEPTH))).toBeNull();
    const v = findInputViolation({ name: deep(MAX_JSON_DEPTH) });
    expect(v?.problem).toBe('too_deep');
    expect(describeViolation(v!, '', 'body')).toBe(
      `name is nested more than ${MAX_JSON_DEPTH} levels deep`,
    );
  });

  it('walks 100,000 levels without recursion', () => {
    const v = findInputViolation(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)));
    expect(v?.problem).toBe('too_deep');
    expect(describeViolation(v!, '', 'body')).toMatch(/^0 is nested/);
  });

  it('names the path of a string holding NUL, under the parameter name', () => {
    const v = findInputViolation({ a: ['ok', { b: 'x\u0000y' }] });
    expect(v).toEqual({ path: 'a.1.b', problem: 'nul' });
    expect(describeViolation(v!, 'q', 'query')).toBe('q.a.1.b must not contain NUL characters');
    expect(describeViolation({ path: '', problem: 'nul' }, '', 'body')).toBe(
      'body must not contain NUL characters',
    );
  });
});
