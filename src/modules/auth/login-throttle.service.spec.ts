import { describe, expect, it } from '@jest/globals';
import { authConfig } from '../../config/configuration.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { LoginAttemptRepository } from './domain/login-attempt.repository.js';
import {
  claimAttempt,
  isForgotten,
  type AttemptRecord,
  type BackoffPolicy,
  type ClaimDecision,
} from './domain/login-backoff.js';
import { LoginThrottle } from './login-throttle.service.js';

/** The port in memory, on a clock the test moves. */
class InMemoryLoginAttempts extends LoginAttemptRepository {
  readonly records = new Map<string, AttemptRecord>();
  now = 1_000_000;

  claim(key: Buffer, policy: BackoffPolicy): Promise<ClaimDecision> {
    const id = key.toString('hex');
    const d = claimAttempt(this.records.get(id) ?? null, this.now, policy);
    if (d.allowed) this.records.set(id, d.next);
    return Promise.resolve(d);
  }
  clear(key: Buffer): Promise<void> {
    this.records.delete(key.toString('hex'));
    return Promise.resolve();
  }
  purgeForgotten(policy: BackoffPolicy): Promise<number> {
    let n = 0;
    for (const [id, r] of this.records)
      if (isForgotten(r, this.now, policy)) n += Number(this.records.delete(id));
    return Promise.resolve(n);
  }
}

const cfg = authConfig({
  JWT_SECRET: 'x'.repeat(40) + '-unit-test-secret',
  LOGIN_THROTTLE_FREE_FAILURES: '2',
  LOGIN_THROTTLE_BASE_DELAY_SEC: '10',
  LOGIN_THROTTLE_MAX_DELAY_SEC: '40',
});

function setup() {
  const store = new InMemoryLoginAttempts();
  return { store, throttle: new LoginThrottle(store, cfg) };
}

async function refusal(p: Promise<unknown>): Promise<DomainError | null> {
  try {
    await p;
    return null;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
}

const USER = '6f1c1f0e-8a43-4c3e-9d44-2f0f1a9e0c11';
const OTHER = '0b7f4a57-3d0b-4a43-b0a5-5d0d3b8b1d22';

describe('LoginThrottle', () => {
  it('holds an account to the back-off whatever login names it, with RATE_LIMITED and a wait', async () => {
    const { throttle } = setup();
    await throttle.admit(throttle.attemptFor('alice', USER, undefined));
    await throttle.admit(throttle.attemptFor('alice@example.com', USER, undefined));
    const err = await refusal(throttle.admit(throttle.attemptFor('ALICE', USER, undefined)));
    expect(err?.kind).toBe('rate_limited');
    expect(err?.code).toBe('RATE_LIMITED');
    expect(err?.retryAfterSec).toBe(10);
  });

  it('counts a login that names no account the same way, under no stored name', async () => {
    const { store, throttle } = setup();
    await throttle.admit(throttle.attemptFor('nobody', null, undefined));
    await throttle.admit(throttle.attemptFor(' NoBody ', null, undefined));
    const err = await refusal(throttle.admit(throttle.attemptFor('nobody', null, undefined)));
    expect(err?.retryAfterSec).toBe(10);
    const [key] = store.records.keys();
    expect(key).not.toContain(Buffer.from('nobody').toString('hex'));
  });

  it("lets the owner's device past the strangers' back-off, held to its own count", async () => {
    const { store, throttle } = setup();
    const token = throttle.issueDeviceToken(USER);
    for (let i = 0; i < 2; i++) await throttle.admit(throttle.attemptFor('alice', USER, undefined));
    expect(await refusal(throttle.admit(throttle.attemptFor('alice', USER, undefined)))).not.toBe(
      null,
    );
    const device = throttle.attemptFor('alice', USER, token);
    expect(device.trustedDevice).toBe(true);
    await throttle.admit(device);
    await throttle.succeeded(device);
    // The device's own failures block the device, not the account's other logins.
    store.now += 10_000;
    await throttle.admit(throttle.attemptFor('alice', USER, token));
    await throttle.admit(throttle.attemptFor('alice', USER, token));
    expect(await refusal(throttle.admit(throttle.attemptFor('alice', USER, token)))).not.toBe(null);
    await throttle.admit(throttle.attemptFor('alice', USER, undefined));
  });

  it("does not trust another account's device token, a forged one or an expired one", () => {
    const { throttle } = setup();
    const token = throttle.issueDeviceToken(OTHER);
    expect(throttle.attemptFor('alice', USER, token).trustedDevice).toBe(false);
    const mine = throttle.issueDeviceToken(USER);
    const forged = mine.slice(0, -2) + (mine.endsWith('AA') ? 'AB' : 'AA');
    expect(throttle.attemptFor('alice', USER, forged).trustedDevice).toBe(false);
    expect(throttle.attemptFor('alice', USER, 'garbage').trustedDevice).toBe(false);
    const old = throttle.issueDeviceToken(USER, Date.now() - cfg.deviceTokenTtlMs - 1000);
    expect(throttle.attemptFor('alice', USER, old).trustedDevice).toBe(false);
    expect(throttle.attemptFor('alice', USER, mine).trustedDevice).toBe(true);
  });

  it('starts over after a success, and grows the wait up to the cap otherwise', async () => {
    const { store, throttle } = setup();
    const attempt = () => throttle.attemptFor('alice', USER, undefined);
    await throttle.admit(attempt());
    await throttle.succeeded(attempt());
    expect(store.records.size).toBe(0);
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const err = await refusal(throttle.admit(attempt()));
      if (err) {
        waits.push(err.retryAfterSec!);
        store.now += err.retryAfterSec! * 1000;
        await throttle.admit(attempt());
      }
    }
    expect(waits).toEqual([10, 20, 40, 40, 40]);
  });
});
