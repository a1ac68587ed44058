// Bot tokens and webhook signatures. Pure functions over node:crypto; no framework imports.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A bot token: `bot_<bot id, 32 hex digits>.<secret, 32 random bytes base64url>`. The id part
 * finds the bot by primary key; only SHA-256(token) is stored, and a presented token is compared
 * with it in constant time.
 */
const TOKEN_RE = /^bot_([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  token: string;
  /** SHA-256 of the whole token, hex: what is stored. */
  hash: string;
}

export function hashBotToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function issueBotToken(botId: string): IssuedToken {
  const token = `bot_${botId.replace(/-/g, '').toLowerCase()}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashBotToken(token) };
}

/** The bot id a well-formed token names, or null for anything else. */
export function parseBotToken(token: string): { botId: string } | null {
  const m = TOKEN_RE.exec(token);
  if (!m) return null;
  const h = m[1];
  return {
    botId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
  };
}

/** Constant-time comparison of a presented token with the stored hash. */
export function botTokenMatches(storedHash: string, token: string): boolean {
  const a = Buffer.from(storedHash, 'hex');
  const b = Buffer.from(hashBotToken(token), 'hex');
  return a.length === 32 && a.length === b.length && timingSafeEqual(a, b);
}

/** The `Authorization: Bot <token>` header's token, or null. */
export function botAuthorization(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const m = /^Bot\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/**
 * Webhook signatures. The key is the 32 bytes of SHA-256(token): the receiver, who holds the
 * token, derives it; the service keeps nothing new (it is the stored hash). The signed text is
 * `${timestamp}.${body}` (timestamp in unix seconds, body the exact bytes sent), so a receiver
 * can refuse old timestamps against replay.
 */
export function webhookSignature(tokenHashHex: string, timestamp: number, body: string): string {
  const key = Buffer.from(tokenHashHex, 'hex');
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}
