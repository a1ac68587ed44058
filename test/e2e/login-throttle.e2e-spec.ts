// Per-account login back-off (issue 11): a password-guessing run against one account from many
// addresses is slowed down per account, besides the per-IP request limit, without letting the
// strangers lock the owner out of a device they have logged in from before.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import { coreEnv } from '../support/flags.js';
import { http, registerUser, uniqueName, type HttpResult } from '../support/http.js';
import { waitFor } from '../support/wait.js';

const FREE_FAILURES = 3;

let lastOctets = 0;
/** A client address never used before (the app trusts X-Forwarded-For here: TRUST_PROXY). */
function freshAddress(): string {
  const n = ++lastOctets;
  return `198.51.${100 + Math.floor(n / 250)}.${(n % 250) + 1}`;
}

describe('login back-off per account', () => {
  /** A wait that cannot end while a test runs, however slow the machine: every count is exact. */
  let t: TestApp;
  /** Short waits (1 s doubling to 4 s), for the test that watches them end. */
  let short: TestApp;
  const env = (baseSec: number, maxSec: number) =>
    coreEnv({
      TRUST_PROXY: 'true',
      // Low enough that the test would see the per-IP limit if it were what answered 429.
      RATE_LIMIT_HTTP_PER_MIN: '20',
      LOGIN_THROTTLE_FREE_FAILURES: String(FREE_FAILURES),
      LOGIN_THROTTLE_BASE_DELAY_SEC: String(baseSec),
      LOGIN_THROTTLE_MAX_DELAY_SEC: String(maxSec),
    });

  beforeAll(async () => {
    [t, short] = await Promise.all([startTestApp(env(60, 600)), startTestApp(env(1, 4))]);
  });
  afterAll(async () => {
    await Promise.all([t.close(), short.close()]);
  });

  /** One login from `address` (a fresh one unless given), with a device token if any. */
  const loginFrom = (
    loginName: string,
    password: string,
    opts: { address?: string; deviceToken?: string; app?: TestApp } = {},
  ): Promise<HttpResult> =>
    http((opts.app ?? t).baseUrl, 'POST', '/api/auth/login', {
      body: { login: loginName, password, deviceToken: opts.deviceToken },
      headers: { 'x-forwarded-for': opts.address ?? freshAddress() },
    });

  const answer = (r: HttpResult) => ({
    status: r.status,
    code: (r.body as { code?: string }).code,
    retryAfter: r.headers.get('retry-after'),
  });

  /** Guesses from a new address each time until the account answers 429; the answers seen. */
  async function guessUntilThrottled(loginName: string, app = t): Promise<HttpResult[]> {
    const seen: HttpResult[] = [];
    for (let i = 0; i < FREE_FAILURES + 1; i++)
      seen.push(await loginFrom(loginName, `guess number ${i}`, { app }));
    return seen;
  }

  it('a guessing run from many addresses gets 429 + Retry-After after the threshold, unknown logins alike', async () => {
    const owner = await registerUser(t.baseUrl);
    const run = await guessUntilThrottled(owner.username);
    expect(run.map(answer)).toEqual([
      ...Array.from({ length: FREE_FAILURES }, () => ({
        status: 401,
        code: 'INVALID_CREDENTIALS',
        retryAfter: null,
      })),
      { status: 429, code: 'RATE_LIMITED', retryAfter: '60' },
    ]);
    // Each address sent one request: the per-IP limit (20/min) is nowhere near, and an address
    // that met the account's back-off is free to log in to another account.
    const blockedAddress = freshAddress();
    const oneMore = answer(
      await loginFrom(owner.username, 'one more', { address: blockedAddress }),
    );
    expect(oneMore).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(oneMore.retryAfter)).toBeGreaterThan(30);
    const other = await registerUser(t.baseUrl);
    const fromSame = await loginFrom(other.username, other.password, { address: blockedAddress });
    expect(fromSame.status).toBe(200);
    // The same account by its email is the same count.
    expect(answer(await loginFrom(owner.email, 'by email'))).toMatchObject({ status: 429 });

    // A login naming no account answers exactly the same, so the back-off tells nothing.
    const nobody = uniqueName('nobody');
    const ghostRun = await guessUntilThrottled(nobody);
    expect(ghostRun.map(answer)).toEqual(run.map(answer));
    expect(ghostRun.map((r) => (r.body as { message: string }).message)).toEqual(
      run.map((r) => (r.body as { message: string }).message),
    );
  });

  it('the owner logs in from a device they used before while strangers are throttled', async () => {
    const owner = await registerUser(t.baseUrl);
    const home = freshAddress();
    const first = await loginFrom(owner.username, owner.password, { address: home });
    expect(first.status).toBe(200);
    const deviceToken = (first.body as { deviceToken: string }).deviceToken;
    expect(typeof deviceToken).toBe('string');

    const run = await guessUntilThrottled(owner.username);
    expect(run[run.length - 1].status).toBe(429);
    // A stranger with the right password (a leaked one) is held back as well: no answer says
    // whether a guess was right while the account is throttled.
    expect(answer(await loginFrom(owner.username, owner.password))).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
    });
    // The owner's device, from its usual address or a new one, is not.
    const again = await loginFrom(owner.username, owner.password, { address: home, deviceToken });
    expect(again.status).toBe(200);
    const travelling = await loginFrom(owner.username, owner.password, {
      deviceToken: (again.body as { deviceToken: string }).deviceToken,
    });
    expect(travelling.status).toBe(200);
    // Another account's device token earns nothing here.
    const stranger = await registerUser(t.baseUrl);
    const strangers = await loginFrom(stranger.username, stranger.password);
    expect(
      answer(
        await loginFrom(owner.username, owner.password, {
          deviceToken: (strangers.body as { deviceToken: string }).deviceToken,
        }),
      ),
    ).toMatchObject({ status: 429 });
  });

  it('the wait doubles up to its cap, ends by itself, and a success starts the count over', async () => {
    const owner = await registerUser(short.baseUrl);
    /** The first login let through from now on (401 or 200): when it was sent and answered. */
    const nextLetThrough = async (password: string, what: string) => {
      let sentAt = 0;
      const r = await waitFor(async () => {
        sentAt = Date.now();
        const res = await loginFrom(owner.username, password, { app: short });
        return res.status === 429 ? null : res;
      }, what);
      return { r, sentAt, answeredAt: Date.now() };
    };

    // The guess that reaches the threshold blocks the account for the base delay (1 s).
    let blocking = { sentAt: 0, delayMs: 1000 };
    for (let i = 0; i < FREE_FAILURES; i++) {
      blocking.sentAt = Date.now();
      expect((await loginFrom(owner.username, `guess ${i}`, { app: short })).status).toBe(401);
    }
    const waits: string[] = [];
    for (const delaySec of [2, 4, 4]) {
      const refused = await loginFrom(owner.username, 'too soon', { app: short });
      expect(answer(refused)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      waits.push(refused.headers.get('retry-after')!);
      // The block ends by itself, not before its time; the guess then let through blocks longer.
      const through = await nextLetThrough('another guess', 'the back-off to end');
      expect(through.r.status).toBe(401);
      expect(through.answeredAt - blocking.sentAt).toBeGreaterThanOrEqual(blocking.delayMs);
      blocking = { sentAt: through.sentAt, delayMs: delaySec * 1000 };
    }
    const capped = await loginFrom(owner.username, 'too soon', { app: short });
    waits.push(capped.headers.get('retry-after')!);
    expect(waits).toEqual(['1', '2', '4', '4']);

    // Once the (capped) wait is over, the right password logs in, and the count starts over.
    const success = await nextLetThrough(owner.password, 'the capped back-off to end');
    expect(success.r.status).toBe(200);
    expect(success.answeredAt - blocking.sentAt).toBeGreaterThanOrEqual(blocking.delayMs);
    const after = await guessUntilThrottled(owner.username, short);
    expect(after.map((r) => r.status)).toEqual([
      ...Array.from({ length: FREE_FAILURES }, () => 401),
      429,
    ]);
    expect(after[after.length - 1].headers.get('retry-after')).toBe('1');
  });
});

describe('login back-off across instances', () => {
  // Two instances on one database, as behind a load balancer; a wait long enough that it
  // cannot end while the test runs, so every count below is exact.
  const env = coreEnv({
    TRUST_PROXY: 'true',
    LOGIN_THROTTLE_FREE_FAILURES: String(FREE_FAILURES),
    LOGIN_THROTTLE_BASE_DELAY_SEC: '60',
    LOGIN_THROTTLE_MAX_DELAY_SEC: '600',
  });
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const guess = (app: TestApp, loginName: string, i: number) =>
    http(app.baseUrl, 'POST', '/api/auth/login', {
      body: { login: loginName, password: `guess ${i}` },
      headers: { 'x-forwarded-for': freshAddress() },
    });

  it('guesses spread over instances meet one count per account', async () => {
    const owner = await registerUser(a.baseUrl);
    const statuses: number[] = [];
    for (let i = 0; i <= FREE_FAILURES; i++)
      statuses.push((await guess(i % 2 === 0 ? a : b, owner.username, i)).status);
    expect(statuses).toEqual([...Array.from({ length: FREE_FAILURES }, () => 401), 429]);
    const fromA = await guess(a, owner.username, 99);
    expect(fromA.status).toBe(429);
    expect(Number(fromA.headers.get('retry-after'))).toBeGreaterThan(55);
  });

  it('a burst of simultaneous guesses on both instances gets no more through than the threshold', async () => {
    const owner = await registerUser(a.baseUrl);
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => guess(i % 2 === 0 ? a : b, owner.username, i)),
    );
    const count = (status: number) => answers.filter((r) => r.status === status).length;
    expect({ letThrough: count(401), refused: count(429) }).toEqual({
      letThrough: FREE_FAILURES,
      refused: 24 - FREE_FAILURES,
    });
  });
});
