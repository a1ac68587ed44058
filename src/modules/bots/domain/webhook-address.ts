// Which network addresses a webhook may be delivered to (server-side request forgery guard).
// Pure: parses IP address text itself; no framework or DNS imports.
import { Errors } from '../../../common/errors/domain-error.js';
import { BotErrorCodes } from './bot-errors.js';

export type AddressClass =
  'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

/**
 * What BOT_WEBHOOK_ALLOW_PRIVATE lets through besides public addresses: `none` (the default),
 * `loopback` (127.0.0.0/8, ::1: tests, a receiver on the same host), `private` (loopback plus
 * RFC 1918, 100.64.0.0/10, fc00::/7; link-local, where cloud metadata services live, stays
 * refused) or `all` (no check at all).
 */
export type PrivateAllowance = 'none' | 'loopback' | 'private' | 'all';
export const PRIVATE_ALLOWANCES: readonly PrivateAllowance[] = [
  'none',
  'loopback',
  'private',
  'all',
];

export function isAddressAllowed(cls: AddressClass, allowance: PrivateAllowance): boolean {
  if (allowance === 'all' || cls === 'public') return true;
  if (cls === 'loopback') return allowance === 'loopback' || allowance === 'private';
  if (cls === 'private') return allowance === 'private';
  return false;
}

/** IPv4 dotted quad to its 4 bytes, or null. */
export function parseIPv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

/** IPv6 text (with `::`, an embedded dotted quad, a zone id) to its 16 bytes, or null. */
export function parseIPv6(input: string): number[] | null {
  let text = input;
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // An embedded dotted quad ("::ffff:1.2.3.4") becomes its two hex groups.
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return null;
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hex(v4[0], v4[1])}:${hex(v4[2], v4[3])}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const group = (g: string) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN);
  const head = halves[0] === '' ? [] : halves[0].split(':').map(group);
  const rest = halves.length === 2 && halves[1] !== '' ? halves[1].split(':').map(group) : [];
  const known = [...head, ...rest];
  if (known.some((g) => Number.isNaN(g))) return null;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - known.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

const inV4 = (b: number[], net: [number, number, number, number], bits: number): boolean => {
  for (let i = 0; i < 4; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    if (take === 0) return true;
    const mask = (0xff << (8 - take)) & 0xff;
    if ((b[i] & mask) !== (net[i] & mask)) return false;
  }
  return true;
};

export function classifyIPv4(b: number[]): AddressClass {
  if (inV4(b, [0, 0, 0, 0], 8)) return 'unspecified';
  if (inV4(b, [127, 0, 0, 0], 8)) return 'loopback';
  if (inV4(b, [10, 0, 0, 0], 8) || inV4(b, [172, 16, 0, 0], 12) || inV4(b, [192, 168, 0, 0], 16))
    return 'private';
  if (inV4(b, [100, 64, 0, 0], 10)) return 'private'; // carrier-grade NAT
  if (inV4(b, [169, 254, 0, 0], 16)) return 'link-local';
  if (inV4(b, [224, 0, 0, 0], 4)) return 'multicast';
  if (
    inV4(b, [240, 0, 0, 0], 4) || // incl. 255.255.255.255
    inV4(b, [192, 0, 0, 0], 24) ||
    inV4(b, [192, 0, 2, 0], 24) ||
    inV4(b, [198, 51, 100, 0], 24) ||
    inV4(b, [203, 0, 113, 0], 24) ||
    inV4(b, [192, 88, 99, 0], 24) ||
    inV4(b, [198, 18, 0, 0], 15)
  )
    return 'reserved';
  return 'public';
}

const prefixIs = (b: number[], prefix: number[], bits: number): boolean => {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((b[i] & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
};

export function classifyIPv6(b: number[]): AddressClass {
  const zeroUpTo = (n: number) => b.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(16)) return 'unspecified';
  if (zeroUpTo(15) && b[15] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16): the IPv4 inside decides.
  if (zeroUpTo(10) && b[10] === 0xff && b[11] === 0xff) return classifyIPv4(b.slice(12));
  if (prefixIs(b, [0, 0x64, 0xff, 0x9b], 32) && b.slice(4, 12).every((x) => x === 0))
    return classifyIPv4(b.slice(12));
  if (prefixIs(b, [0x20, 0x02], 16)) return classifyIPv4(b.slice(2, 6));
  if (zeroUpTo(12)) return 'reserved'; // IPv4-compatible (deprecated)
  if (prefixIs(b, [0, 0x64, 0xff, 0x9b, 0, 1], 48)) return 'private'; // local-use NAT64
  if (prefixIs(b, [0xfc], 7)) return 'private'; // unique local
  if (prefixIs(b, [0xfe, 0xc0], 10)) return 'private'; // site-local (deprecated)
  if (prefixIs(b, [0xfe, 0x80], 10)) return 'link-local';
  if (prefixIs(b, [0xff], 8)) return 'multicast';
  if (prefixIs(b, [0x20, 0x01, 0x0d, 0xb8], 32)) return 'reserved'; // documentation
  if (prefixIs(b, [0x20, 0x01, 0, 0], 32)) return 'reserved'; // Teredo: the IPv4 is hidden
  if (prefixIs(b, [0x01, 0, 0, 0, 0, 0, 0, 0], 64)) return 'reserved'; // discard
  if (prefixIs(b, [0x20], 3)) return 'public'; // global unicast
  return 'reserved';
}

/** The class of an IP address in text form; null when it is not an IP address. */
export function classifyAddress(text: string): AddressClass | null {
  const v4 = parseIPv4(text);
  if (v4) return classifyIPv4(v4);
  const v6 = text.includes(':') ? parseIPv6(text) : null;
  return v6 ? classifyIPv6(v6) : null;
}

/** Throws WEBHOOK_URL_REFUSED unless every address the host resolved to is allowed. */
export function assertAddressesAllowed(
  host: string,
  addresses: string[],
  allowance: PrivateAllowance,
): void {
  if (addresses.length === 0)
    throw Errors.validation(
      BotErrorCodes.webhookUrlRefused,
      `webhookUrl host ${host} does not resolve`,
    );
  for (const a of addresses) {
    const cls = classifyAddress(a) ?? 'reserved';
    if (!isAddressAllowed(cls, allowance))
      throw Errors.validation(
        BotErrorCodes.webhookUrlRefused,
        // Not the address itself: the answer must not map the service's internal names.
        `webhookUrl host ${host} resolves to a ${cls} address, which is not allowed`,
      );
  }
}

/** A webhook URL's parts, once its syntax is acceptable. */
export interface WebhookTarget {
  url: URL;
  /** The host without IPv6 brackets. */
  host: string;
  /** The host is an IP address (no name to resolve). */
  isLiteral: boolean;
}

/**
 * Syntax rules for a webhook URL: absolute http(s), no credentials in it (they would travel to
 * wherever the URL points and be logged), no fragment. 400 VALIDATION_FAILED otherwise.
 */
export function parseWebhookUrl(raw: string): WebhookTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw Errors.validation('VALIDATION_FAILED', 'webhookUrl must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw Errors.validation('VALIDATION_FAILED', 'webhookUrl must use http or https');
  if (url.username !== '' || url.password !== '')
    throw Errors.validation('VALIDATION_FAILED', 'webhookUrl must not contain credentials');
  if (url.hash !== '')
    throw Errors.validation('VALIDATION_FAILED', 'webhookUrl must not contain a fragment');
  const host =
    url.hostname.startsWith('[') && url.hostname.endsWith(']')
      ? url.hostname.slice(1, -1)
      : url.hostname;
  if (host === '') throw Errors.validation('VALIDATION_FAILED', 'webhookUrl must name a host');
  return { url, host, isLiteral: classifyAddress(host) !== null };
}
