/**
 * Limits every JSON input (HTTP bodies, queries, WebSocket frames) must meet before anything
 * recursive (class-transformer, class-validator, a handler) touches it. Checked by one
 * iterative walk, so a hostile input costs one pass over what was already parsed and never
 * the call stack: JSON nested 5,000 levels deep is about 10 KB and no token.
 */

import { hasLoneSurrogate } from '../text/unicode-hygiene.js';

/** Deepest nesting of objects and arrays accepted; no body or frame of the API comes near it. */
export const MAX_JSON_DEPTH = 32;

export type InputProblem = 'too_deep' | 'nul' | 'lone_surrogate';

export interface InputViolation {
  /** Dotted path of the offending value from the root ('' for the root itself). */
  path: string;
  problem: InputProblem;
}

interface Node {
  value: unknown;
  key: string;
  parent: Node | null;
  depth: number;
}

function pathOf(node: Node): string {
  const keys: string[] = [];
  for (let n: Node | null = node; n && n.parent; n = n.parent) keys.push(n.key);
  return keys.reverse().join('.');
}

/**
 * The first value breaking a limit, or null. Depth counts containers: the root object is
 * level 1. A string holding NUL (U+0000) or a lone UTF-16 surrogate (JSON's "\ud800") breaks
 * one too: neither is text PostgreSQL can store or UTF-8 can carry.
 */
export function findInputViolation(root: unknown): InputViolation | null {
  const stack: Node[] = [{ value: root, key: '', parent: null, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { path: pathOf(node), problem: 'nul' };
      if (hasLoneSurrogate(v)) return { path: pathOf(node), problem: 'lone_surrogate' };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    const depth = node.depth + 1;
    if (depth > MAX_JSON_DEPTH) return { path: pathOf(node), problem: 'too_deep' };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ value: v[i] as unknown, key: String(i), parent: node, depth });
    } else {
      const entries = Object.entries(v as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--)
        stack.push({ value: entries[i][1], key: entries[i][0], parent: node, depth });
    }
  }
  return null;
}

/**
 * A person-readable message naming the field (under `prefix`, or `rootName` for the root). A
 * value nested too deep is named by its top-level field: the full path of a hostile input is as
 * long as the input.
 */
export function describeViolation(v: InputViolation, prefix: string, rootName: string): string {
  const keys = v.path === '' ? [] : v.path.split('.');
  const shown = v.problem === 'too_deep' ? keys.slice(0, 1) : keys;
  const path = [prefix, ...shown].filter(Boolean).join('.') || rootName;
  switch (v.problem) {
    case 'too_deep':
      return `${path} is nested more than ${MAX_JSON_DEPTH} levels deep`;
    case 'nul':
      return `${path} must not contain NUL characters`;
    case 'lone_surrogate':
      return `${path} must be well-formed Unicode (it holds a lone UTF-16 surrogate)`;
  }
}
