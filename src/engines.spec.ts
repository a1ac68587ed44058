import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The Node versions package.json promises must be ones every installed production dependency
// supports: a dependency that raises its floor (npm ci's EBADENGINE warning) fails here instead.
// semver comes with npm's tree (no types of its own here), hence the narrow typed require.
const semver = createRequire(import.meta.url)('semver') as {
  subset(sub: string, dom: string, opts?: { includePrerelease?: boolean }): boolean;
  validRange(range: string): string | null;
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
interface Manifest {
  name?: string;
  version?: string;
  engines?: { node?: unknown };
}
const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

describe('engines.node', () => {
  const declared = String(readJson<Manifest>(path.join(root, 'package.json')).engines?.node);

  it('is a valid range', () => {
    expect(semver.validRange(declared)).not.toBeNull();
  });

  it('is supported by every installed production dependency', () => {
    const lock = readJson<{ packages: Record<string, { dev?: boolean }> }>(
      path.join(root, 'package-lock.json'),
    );
    const unsupported: string[] = [];
    let checked = 0;
    for (const [where, entry] of Object.entries(lock.packages)) {
      if (!where.startsWith('node_modules/') || entry.dev) continue;
      const manifest = path.join(root, where, 'package.json');
      if (!existsSync(manifest)) continue; // an optional dependency for another platform
      checked++;
      const pkg = readJson<Manifest>(manifest);
      const node = pkg.engines?.node;
      if (typeof node !== 'string' || semver.validRange(node) === null) continue;
      if (!semver.subset(declared, node))
        unsupported.push(`${pkg.name}@${pkg.version} (${where}) needs node ${node}`);
    }
    expect(checked).toBeGreaterThan(50);
    expect(unsupported).toEqual([]);
  });
});
