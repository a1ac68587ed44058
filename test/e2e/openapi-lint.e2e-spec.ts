// /docs-json passes Redocly's recommended rules with no error (run by CI with the e2e suites,
// with the modules off and, in e2e-all-modules, on): a summary on every operation, the bearer
// scheme declared, valid examples and schemas. And what a client generator relies on: integers
// typed as integers, nextCursor a string or null, each error status with examples of its own
// status, and the modules' fields and codes only when the module is on.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/load-config.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { http } from '../support/http.js';

const run = promisify(execFile);
const flags = loadConfig(process.env).features.flags;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is JSON of any shape
type Doc = any;

/** Every JSON pointer-ish path under `node` whose object satisfies `pred`. */
function findPaths(
  node: unknown,
  pred: (o: Record<string, unknown>) => boolean,
  at = '',
): string[] {
  if (typeof node !== 'object' || node === null) return [];
  const here = !Array.isArray(node) && pred(node as Record<string, unknown>) ? [at] : [];
  return [...here, ...Object.entries(node).flatMap(([k, v]) => findPaths(v, pred, `${at}/${k}`))];
}

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
  let doc: Doc;

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await http(t.baseUrl, 'GET', '/docs-json')).body;
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

  it('types every count, seq and limit as an integer (only profile extension values are numbers)', () => {
    const numbers = findPaths(doc, (o) => o.type === 'number').filter(
      (p) => !p.includes('/extensions/'),
    );
    expect(numbers).toEqual([]);
  });

  it('types every nextCursor as a string or null, to pass back as is', () => {
    const cursors = Object.entries<Doc>(doc.components.schemas)
      .filter(([, s]) => s.properties?.nextCursor)
      .map(([name, s]) => ({ name, ...s.properties.nextCursor }));
    expect(cursors.length).toBeGreaterThan(5);
    for (const c of cursors) expect(c).toMatchObject({ type: 'string', nullable: true });
  });

  it('gives every error response examples of its own status, with codes from the enum', () => {
    const codeEnum: string[] = doc.components.schemas.ErrorResponseDto.properties.code.enum;
    for (const [path, ops] of Object.entries<Doc>(doc.paths))
      for (const [method, op] of Object.entries<Doc>(ops))
        for (const [status, r] of Object.entries<Doc>(op.responses)) {
          const json = r.content?.['application/json'];
          // The contract's error body (health's 503 answers with the health report instead).
          if (json?.schema?.$ref !== '#/components/schemas/ErrorResponseDto') continue;
          const examples = Object.values<Doc>(json.examples ?? {});
          expect({ path, method, status, n: examples.length > 0 }).toEqual({
            path,
            method,
            status,
            n: true,
          });
          for (const ex of examples) {
            expect(ex.value.statusCode).toBe(Number(status));
            expect(codeEnum).toContain(ex.value.code);
          }
        }
  });

  it('shows the modules’ fields, codes and schemes only when the module is on', () => {
    const s = doc.components.schemas;
    expect('onBehalfOf' in s.SendMessageDto.properties).toBe(flags.enableProxySystem);
    expect('sentBy' in s.MessageDto.properties).toBe(flags.enableProxySystem);
    expect('orgId' in s.RoomDto.properties).toBe(flags.enableOrganizations);
    expect('orgId' in s.CreateRoomDto.properties).toBe(flags.enableOrganizations);
    expect('bot' in doc.components.securitySchemes).toBe(flags.enableBotMessages);
    const codes: string[] = s.ErrorResponseDto.properties.code.enum;
    if (!flags.enableOrganizations) expect(codes).not.toContain('ORG_NOT_FOUND');
    if (!flags.enableUserRoles) expect(codes).not.toContain('ROLE_NOT_FOUND');
    if (!flags.enableProxySystem) expect(codes).not.toContain('PROXY_NOT_FOUND');
    if (!flags.enableBotMessages) expect(codes).not.toContain('BOT_NOT_FOUND');
    if (!flags.enableAdvancedAdmin) expect(codes).not.toContain('MUTE_NOT_FOUND');
  });
});
