// Signed links the service serves itself: an upload link (local store) and a download link
// (either store). HMAC-SHA256 over purpose, attachment id and expiry: a link names one
// attachment for one purpose until its time is over, and changing any of them breaks it.
// No framework imports.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkPurpose = 'upload' | 'download';

const PATH: Record<LinkPurpose, string> = { upload: 'upload', download: 'content' };

/** Expiries are rounded up to the minute, so a link signed twice in a minute is the same link. */
const ROUND_SEC = 60;

export interface SignedLink {
  url: string;
  expiresAt: Date;
}

export class AttachmentLinks {
  constructor(
    private readonly key: Buffer,
    /** '' for root-relative links, else an absolute base without a trailing slash. */
    private readonly baseUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A link that works for at least `ttlSec` (and at most a minute more). */
  sign(purpose: LinkPurpose, attachmentId: string, ttlSec: number): SignedLink {
    const expires = Math.ceil((this.now() / 1000 + ttlSec) / ROUND_SEC) * ROUND_SEC;
    const signature = this.mac(purpose, attachmentId, expires);
    return {
      url: `${this.baseUrl}/api/attachments/${attachmentId}/${PATH[purpose]}?expires=${expires}&signature=${signature}`,
      expiresAt: new Date(expires * 1000),
    };
  }

  /** 'ok', or why the link does not work. */
  verify(
    purpose: LinkPurpose,
    attachmentId: string,
    expires: unknown,
    signature: unknown,
  ): 'ok' | 'bad' | 'expired' {
    if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires)) return 'bad';
    if (typeof signature !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return 'bad';
    const want = Buffer.from(this.mac(purpose, attachmentId, Number(expires)));
    if (!timingSafeEqual(want, Buffer.from(signature))) return 'bad';
    return Number(expires) * 1000 <= this.now() ? 'expired' : 'ok';
  }

  private mac(purpose: LinkPurpose, attachmentId: string, expires: number): string {
    return createHmac('sha256', this.key)
      .update(`${purpose}\n${attachmentId.toLowerCase()}\n${expires}`)
      .digest('base64url');
  }
}

/** The links' key, derived from the service's secret so no second secret has to be shared. */
export function deriveLinkKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('chat:attachment-links:v1').digest();
}
