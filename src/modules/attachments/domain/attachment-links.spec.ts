import { describe, expect, it } from '@jest/globals';
import { AttachmentLinks, deriveLinkKey } from './attachment-links.js';

const ID = '0b6a4c1e-6a0e-4e55-9a57-4b5d5e4f0a11';
const OTHER = '0b6a4c1e-6a0e-4e55-9a57-4b5d5e4f0a12';
const key = deriveLinkKey('a-secret-of-at-least-thirty-two-characters');

function parts(url: string) {
  const u = new URL(url, 'http://x');
  return { expires: u.searchParams.get('expires'), signature: u.searchParams.get('signature') };
}

describe('AttachmentLinks', () => {
  it('signs a link that verifies for its purpose and attachment only', () => {
    const links = new AttachmentLinks(key, '');
    const { url } = links.sign('download', ID, 600);
    expect(url).toMatch(new RegExp(`^/api/attachments/${ID}/content\\?expires=\\d+&signature=`));
    const { expires, signature } = parts(url);
    expect(links.verify('download', ID, expires, signature)).toBe('ok');
    expect(links.verify('upload', ID, expires, signature)).toBe('bad');
    expect(links.verify('download', OTHER, expires, signature)).toBe('bad');
    expect(links.verify('download', ID, String(Number(expires) + 60), signature)).toBe('bad');
    expect(links.verify('download', ID, expires, 'A'.repeat(43))).toBe('bad');
    expect(links.verify('download', ID, undefined, signature)).toBe('bad');
    // Another key (another deployment's secret) signs other links.
    const other = new AttachmentLinks(deriveLinkKey('another-secret-of-thirty-two-characters'), '');
    expect(other.verify('download', ID, expires, signature)).toBe('bad');
  });

  it('works for at least ttl, is rounded up to the minute, then expires', () => {
    let now = Date.UTC(2026, 11, 6, 12, 0, 30);
    const links = new AttachmentLinks(key, 'https://chat.example', () => now);
    const a = links.sign('upload', ID, 600);
    expect(a.url.startsWith(`https://chat.example/api/attachments/${ID}/upload?`)).toBe(true);
    expect(a.expiresAt.getTime()).toBe(Date.UTC(2026, 11, 6, 12, 11, 0));
    // Signed again within the minute: the same link (one frame for every subscriber, cacheable).
    now += 20_000;
    expect(links.sign('upload', ID, 600).url).toBe(a.url);
    const { expires, signature } = parts(a.url);
    now = a.expiresAt.getTime() - 1;
    expect(links.verify('upload', ID, expires, signature)).toBe('ok');
    now = a.expiresAt.getTime();
    expect(links.verify('upload', ID, expires, signature)).toBe('expired');
  });
});
