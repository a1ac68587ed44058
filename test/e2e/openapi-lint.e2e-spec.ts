// /docs-json passes Redocly's recommended rules with no error (run by CI with the e2e suites,
// with the modules off and, in e2e-all-modules, on): a summary on every operation, the bearer
// scheme declared, valid examples and schemas.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestApp, type TestApp } from '../support/app.js';
import { http } from '../support/http.js';

const run = promisify(execFile);

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer: string }[];
}

/** `redocly lint --extends recommended` on a document: its problems. */
async function redoclyLint(doc: unknown): Promise<LintProblem[]> {
  const dir = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc));
    // Exit code 1 when it found errors; the JSON report is on stdout either way.
    const out = await run(
      'node_modules/.bin/redocly',
      ['lint', '--extends', 'recommended', '--format', 'json', file],
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, REDOCLY_TELEMETRY: 'off' } },
    ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    return (JSON.parse(out.stdout) as { problems: LintProblem[] }).problems;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('OpenAPI document: Redocly recommended rules', () => {
  let t: TestApp;
  let problems: LintProblem[];

  beforeAll(async () => {
    t = await startTestApp();
    const doc = (await http(t.baseUrl, 'GET', '/docs-json')).body as unknown;
    problems = await redoclyLint(doc);
  }, 60_000);
  afterAll(async () => {
    await t.close();
  });

  it('has no error', () => {
    const errors = problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`);
    expect(errors).toEqual([]);
  });
});
