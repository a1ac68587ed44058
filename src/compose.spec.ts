import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

// docker-compose.yml cannot be run here (no Docker engine), so it is checked the way CI can:
// against the Compose Specification's JSON schema and dclint's correctness rules (npm run lint
// runs the same), and for the two deployment mistakes an outside review found.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, 'docker-compose.yml');

interface Service {
  build?: unknown;
  image?: string;
  environment?: Record<string, string>;
}
const services = (
  parse(readFileSync(file, 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
  }
).services;
const chatServices = Object.entries(services).filter(([name]) => name.startsWith('chat-'));

describe('docker-compose.yml', () => {
  it('passes the compose-spec schema and dclint', () => {
    const run = spawnSync(path.join(root, 'node_modules/.bin/dclint'), [file], {
      cwd: root,
      encoding: 'utf8',
    });
    expect({ status: run.status, out: run.stdout.trim() }).toEqual({ status: 0, out: '' });
  });

  it('builds the chat image once and runs every instance from it', () => {
    expect(chatServices.length).toBeGreaterThanOrEqual(2);
    expect(chatServices.filter(([, s]) => s.build !== undefined)).toHaveLength(1);
    expect(new Set(chatServices.map(([, s]) => s.image)).size).toBe(1);
  });

  it('does not tie ALLOWED_ORIGINS to one host name', () => {
    for (const [, s] of chatServices)
      expect(s.environment?.ALLOWED_ORIGINS).toBe('${ALLOWED_ORIGINS:-}');
  });
});
