import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { loginKind, normalizeEmail } from '../../users/domain/user.js';

// What a login attempt is counted against, and the device tokens that let an account's owner
// past the back-off strangers cause (OWASP "Slow Down Online Guessing Attacks with Device
// Cookies"; here a token in the JSON body, like the refresh token, so every client can keep it).
//
// Keys are HMACs under a server secret: the table holds no username, no email and no address,
// and a digest cannot be reversed by hashing a list of likely usernames without the secret.

const DEVICE_TOKEN_RE = /^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,11})\.([A-Za-z0-9_-]{43})$/;

export class LoginKeys {
  private readonly keyMac: Buffer;
  private readonly deviceMac: Buffer;

  /** `secret`: shared by every instance (the JWT secret); two independent subkeys from it. */
  constructor(secret: string) {
    this.keyMac = createHmac('sha256', secret).update('login-throttle/key').digest();
    this.deviceMac = createHmac('sha256', secret).update('login-throttle/device').digest();
  }

  /** An existing account: by id, so its username and its email count as one. */
  account(userId: string): Buffer {
    return this.digest(`user\0${userId}`);
  }

  /** A login that names no account: normalised as the lookup does, so case changes count as one. */
  unknownLogin(login: string): Buffer {
    const normal =
      loginKind(login) === 'email' ? normalizeEmail(login) : login.trim().toLowerCase();
    return this.digest(`login\0${normal}`);
  }

  /** One trusted device of an account: its own count, apart from strangers'. */
  device(userId: string, deviceId: string): Buffer {
    return this.digest(`device\0${userId}\0${deviceId}`);
  }

  /** A new device token for an account, issued on a successful login (or registration). */
  issueDeviceToken(userId: string, nowMs: number): string {
    const id = randomBytes(16).toString('base64url');
    const issued = Math.floor(nowMs / 1000).toString(36);
    return `${id}.${issued}.${this.deviceSignature(userId, id, issued)}`;
  }

  /**
   * The device id of a token this server issued for this very account and no older than
   * `ttlMs`; null for anything else (another account's token, a forged or expired one).
   */
  verifyDeviceToken(userId: string, token: string, nowMs: number, ttlMs: number): string | null {
    const m = DEVICE_TOKEN_RE.exec(token);
    if (!m) return null;
    const [, id, issued, sig] = m;
    const issuedMs = parseInt(issued, 36) * 1000;
    if (!(nowMs - issuedMs < ttlMs)) return null;
    const want = Buffer.from(this.deviceSignature(userId, id, issued));
    const got = Buffer.from(sig);
    return want.length === got.length && timingSafeEqual(want, got) ? id : null;
  }

  private deviceSignature(userId: string, id: string, issued: string): string {
    return createHmac('sha256', this.deviceMac)
      .update(`${userId}\0${id}\0${issued}`)
      .digest('base64url');
  }

  private digest(s: string): Buffer {
    return createHmac('sha256', this.keyMac).update(s).digest();
  }
}
