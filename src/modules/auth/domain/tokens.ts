import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

// Opaque high-entropy tokens (refresh tokens, WebSocket tickets). They carry 256 random bits,
// so a fast SHA-256 digest is the right stored form (a slow hash is for low-entropy passwords).

export interface OpaqueToken {
  id: string;
  secret: string;
  /** What the client holds: `<id>.<secret>`. */
  value: string;
  hash: string;
}

export function newOpaqueToken(): OpaqueToken {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, value: `${id}.${secret}`, hash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

const TOKEN_RE =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

export function parseOpaqueToken(value: string): { id: string; hash: string } | null {
  const m = TOKEN_RE.exec(value);
  return m ? { id: m[1], hash: hashSecret(m[2]) } : null;
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
