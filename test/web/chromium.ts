// Debian's Chromium for the browser tests (Playwright's own browser download does not work in
// this project's CI): installed here when missing and the tests run as root, as on a fresh CI
// machine; .ci/run installs it up front too.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0)
    throw new Error(`${CHROMIUM} is missing: install it (apt-get install -y chromium)`);
  const apt = (...args: string[]) =>
    execFileSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  try {
    apt('install', '-y', '--no-install-recommends', 'chromium', 'fonts-noto-color-emoji');
  } catch {
    apt('update');
    apt('install', '-y', '--no-install-recommends', 'chromium', 'fonts-noto-color-emoji');
  }
}

export async function launchChromium(): Promise<Browser> {
  ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    // No --user-data-dir: launch() gives every browser a new, empty profile in a temporary
    // directory of its own (and refuses the flag).
  });
}
