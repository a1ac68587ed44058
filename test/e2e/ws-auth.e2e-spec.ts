// WebSocket authentication at the upgrade: tickets, bearer headers, Origin allowlist, and the
// server closing a session's sockets when that session ends.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/app.js';
import { createRoom, http, registerUser, type TestUser } from '../support/http.js';
import {
  connectWithTicket,
  queryDb,
  UpgradeRefused,
  wsTicket,
  WsTestClient,
} from '../support/ws-client.js';

const JWT_SECRET = 'ws-auth-e2e-' + randomBytes(32).toString('hex');
const ALLOWED_ORIGIN = 'https://chat.example';

const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

/** Re-signs an access token's claims with `patch` applied (HS256, the given secret). */
function resign(token: string, patch: Record<string, unknown>, secret = JWT_SECRET): string {
  const [header, payload] = token.split('.');
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...patch };
  const body = `${header}.${b64url(JSON.stringify(claims))}`;
  return `${body}.${b64url(createHmac('sha256', secret).update(body).digest())}`;
}

async function expectRefused(p: Promise<WsTestClient>, status: number): Promise<void> {
  let err: unknown = null;
  let opened: WsTestClient | null = null;
  try {
    opened = await p;
  } catch (e) {
    err = e;
  }
  if (opened) {
    opened.close();
    throw new Error(`upgrade was accepted; expected HTTP ${status}`);
  }
  expect(err).toBeInstanceOf(UpgradeRefused);
  expect((err as UpgradeRefused).status).toBe(status);
}

/** Proves a socket is open and served: a ping gets its pong. */
async function expectServed(c: WsTestClient): Promise<void> {
  expect(c.isOpen).toBe(true);
  await c.roundTrip();
}

async function login(
  t: TestApp,
  user: TestUser,
): Promise<{ accessToken: string; refreshToken: string }> {
  const res = await http(t.baseUrl, 'POST', '/api/auth/login', {
    body: { login: user.username, password: user.password },
  });
  expect(res.status).toBe(200);
  return res.body;
}

describe('WebSocket authentication (app with ALLOWED_ORIGINS and a known JWT secret)', () => {
  let t: TestApp;
  const open: WsTestClient[] = [];
  const track = (c: WsTestClient) => (open.push(c), c);

  beforeAll(async () => {
    t = await startTestApp({ ALLOWED_ORIGINS: ALLOWED_ORIGIN, JWT_SECRET });
  });
  afterAll(async () => {
    for (const c of open) c.terminate();
    await t.close();
  });

  describe('tickets', () => {
    it('a ticket from POST /api/auth/ws-ticket opens /ws as that user', async () => {
      const alice = await registerUser(t.baseUrl);
      const res = await http(t.baseUrl, 'POST', '/api/auth/ws-ticket', {
        token: alice.accessToken,
      });
      expect(res.status).toBe(200);
      expect(typeof res.body.ticket).toBe('string');
      expect(res.body.expiresIn).toBe(30);
      const c = track(await WsTestClient.connect(t.wsUrl, { ticket: res.body.ticket }));
      await expectServed(c);
      // It acts as alice: her own room accepts the subscription.
      const room = await createRoom(t.baseUrl, alice);
      expect((await c.subscribe(room.id)).data).toEqual({
        roomId: room.id,
        lastSeq: 0,
        lastEventSeq: 0,
      });
    });

    it('the ws-ticket endpoint itself needs a bearer token', async () => {
      const res = await http(t.baseUrl, 'POST', '/api/auth/ws-ticket');
      expect(res.status).toBe(401);
    });

    it('a ticket works once: the second upgrade with it is refused with 401', async () => {
      const alice = await registerUser(t.baseUrl);
      const ticket = await wsTicket(t.baseUrl, alice.accessToken);
      const first = track(await WsTestClient.connect(t.wsUrl, { ticket }));
      await expectServed(first);
      await expectRefused(WsTestClient.connect(t.wsUrl, { ticket }), 401);
      // ...even after the first socket is gone.
      first.close();
      await first.waitClosed();
      await expectRefused(WsTestClient.connect(t.wsUrl, { ticket }), 401);
    });

    it('two upgrades racing on one ticket: exactly one wins', async () => {
      const alice = await registerUser(t.baseUrl);
      const ticket = await wsTicket(t.baseUrl, alice.accessToken);
      const results = await Promise.allSettled([
        WsTestClient.connect(t.wsUrl, { ticket }),
        WsTestClient.connect(t.wsUrl, { ticket }),
        WsTestClient.connect(t.wsUrl, { ticket }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      for (const r of won) track(r.value);
      expect(won).toHaveLength(1);
      for (const r of lost) expect((r.reason as UpgradeRefused).status).toBe(401);
    });

    it('an expired ticket is refused with 401', async () => {
      const alice = await registerUser(t.baseUrl);
      const ticket = await wsTicket(t.baseUrl, alice.accessToken);
      // Only the hash of the ticket's secret part is stored.
      const hash = createHash('sha256').update(ticket.split('.')[1]).digest('hex');
      const rows = await queryDb(
        `UPDATE ws_tickets SET expires_at = now() - interval '1 second' WHERE ticket_hash = $1 RETURNING ticket_hash`,
        [hash],
      );
      expect(rows).toHaveLength(1);
      await expectRefused(WsTestClient.connect(t.wsUrl, { ticket }), 401);
    });

    it('a forged ticket is refused with 401', async () => {
      const alice = await registerUser(t.baseUrl);
      const real = await wsTicket(t.baseUrl, alice.accessToken);
      const [id, secret] = real.split('.');
      const tampered = `${id}.${secret.slice(0, -2)}${secret.endsWith('AA') ? 'BB' : 'AA'}`;
      for (const ticket of [
        `${randomUUID()}.${randomBytes(32).toString('base64url')}`, // well-formed, never issued
        tampered, // a real ticket's id with a different secret
        'not-a-ticket',
        alice.accessToken, // an access token is not a ticket
      ]) {
        await expectRefused(WsTestClient.connect(t.wsUrl, { ticket }), 401);
      }
      // The untampered ticket was not spent by the forgeries.
      track(await WsTestClient.connect(t.wsUrl, { ticket: real }));
    });
  });

  describe('bearer header and other credentials', () => {
    it('Authorization: Bearer <accessToken> on the upgrade works', async () => {
      const alice = await registerUser(t.baseUrl);
      const c = track(await WsTestClient.connect(t.wsUrl, { token: alice.accessToken }));
      await expectServed(c);
      const room = await createRoom(t.baseUrl, alice);
      expect((await c.subscribe(room.id)).data).toEqual({
        roomId: room.id,
        lastSeq: 0,
        lastEventSeq: 0,
      });
    });

    it('a bad, forged or expired bearer token is refused with 401', async () => {
      const alice = await registerUser(t.baseUrl);
      const now = Math.floor(Date.now() / 1000);
      const expired = resign(alice.accessToken, { iat: now - 3600, exp: now - 60 });
      const forged = resign(
        alice.accessToken,
        {},
        'some-other-secret-' + randomBytes(16).toString('hex'),
      );
      const [h, p] = alice.accessToken.split('.');
      const unsigned = `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${p}.`;
      for (const token of ['garbage', expired, forged, unsigned, `${h}.${p}.`]) {
        await expectRefused(WsTestClient.connect(t.wsUrl, { token }), 401);
      }
      // The same claims, correctly signed and unexpired, are accepted: the refusals above were
      // about the signature and the expiry, not the claims.
      track(
        await WsTestClient.connect(t.wsUrl, {
          token: resign(alice.accessToken, { exp: now + 600 }),
        }),
      );
    });

    it('no credentials at all: 401', async () => {
      await expectRefused(WsTestClient.connect(t.wsUrl), 401);
      await expectRefused(
        WsTestClient.connect(t.wsUrl, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
        401,
      );
    });

    it('an access token in the URL (?token=, ?access_token=) is not accepted', async () => {
      const alice = await registerUser(t.baseUrl);
      await expectRefused(
        WsTestClient.connect(t.wsUrl, { query: { token: alice.accessToken } }),
        401,
      );
      await expectRefused(
        WsTestClient.connect(t.wsUrl, { query: { access_token: alice.accessToken } }),
        401,
      );
      await expectRefused(
        WsTestClient.connect(t.wsUrl, { query: { authorization: `Bearer ${alice.accessToken}` } }),
        401,
      );
    });
  });

  describe('Origin allowlist', () => {
    it('an Origin outside ALLOWED_ORIGINS is refused with 403, even with valid credentials', async () => {
      const alice = await registerUser(t.baseUrl);
      await expectRefused(
        WsTestClient.connect(t.wsUrl, { token: alice.accessToken, origin: 'https://evil.example' }),
        403,
      );
      const ticket = await wsTicket(t.baseUrl, alice.accessToken);
      await expectRefused(
        WsTestClient.connect(t.wsUrl, { ticket, origin: 'https://chat.example.evil.example' }),
        403,
      );
      await expectRefused(
        WsTestClient.connect(t.wsUrl, { ticket, origin: 'http://chat.example' }),
        403,
      );
    });

    it('the allowed Origin works, with a ticket and with a bearer header', async () => {
      const alice = await registerUser(t.baseUrl);
      const a = track(await connectWithTicket(t, alice, { origin: ALLOWED_ORIGIN }));
      const b = track(
        await WsTestClient.connect(t.wsUrl, { token: alice.accessToken, origin: ALLOWED_ORIGIN }),
      );
      await expectServed(a);
      await expectServed(b);
    });

    it('a bad Origin with no credentials is still refused', async () => {
      const status = await WsTestClient.upgradeStatus(t.wsUrl, { origin: 'https://evil.example' });
      expect([401, 403]).toContain(status);
    });
  });

  describe('sessions ending close their sockets', () => {
    it("logout closes that session's sockets with 4401, not the same user's other session", async () => {
      const alice = await registerUser(t.baseUrl); // session 1
      const second = await login(t, alice); // session 2
      const s1Ticket = track(await connectWithTicket(t, alice));
      const s1Bearer = track(await WsTestClient.connect(t.wsUrl, { token: alice.accessToken }));
      const s2 = track(await connectWithTicket(t, second));
      const bob = await registerUser(t.baseUrl);
      const other = track(await connectWithTicket(t, bob));
      await Promise.all([s1Ticket, s1Bearer, s2, other].map(expectServed));

      const res = await http(t.baseUrl, 'POST', '/api/auth/logout', {
        token: alice.accessToken,
        body: { refreshToken: alice.refreshToken },
      });
      expect(res.status).toBe(204);

      expect(await s1Ticket.waitClosed()).toBe(4401);
      expect(await s1Bearer.waitClosed()).toBe(4401);
      await expectServed(s2);
      await expectServed(other);
      // The logged-out session cannot come back in either way.
      await expectRefused(WsTestClient.connect(t.wsUrl, { token: alice.accessToken }), 401);
      const ticketRes = await http(t.baseUrl, 'POST', '/api/auth/ws-ticket', {
        token: alice.accessToken,
      });
      expect(ticketRes.status).toBe(401);
      // The other session still can.
      track(await WsTestClient.connect(t.wsUrl, { token: second.accessToken }));
    });

    it('a disabled or banned user cannot open a socket (403)', async () => {
      for (const status of ['disabled', 'banned']) {
        const mallory = await registerUser(t.baseUrl);
        await queryDb(`UPDATE users SET status = $2 WHERE id = $1`, [mallory.id, status]);
        await expectRefused(WsTestClient.connect(t.wsUrl, { token: mallory.accessToken }), 403);
      }
    });

    it('a ticket issued before logout cannot open a socket after it', async () => {
      const alice = await registerUser(t.baseUrl);
      const ticket = await wsTicket(t.baseUrl, alice.accessToken);
      const res = await http(t.baseUrl, 'POST', '/api/auth/logout', {
        token: alice.accessToken,
        body: { refreshToken: alice.refreshToken },
      });
      expect(res.status).toBe(204);
      await expectRefused(WsTestClient.connect(t.wsUrl, { ticket }), 401);
    });

    it('refresh-token reuse revokes the session and closes its sockets with 4401', async () => {
      const alice = await registerUser(t.baseUrl); // session 1
      const second = await login(t, alice); // session 2
      const s1 = track(await connectWithTicket(t, alice));
      const s2 = track(await WsTestClient.connect(t.wsUrl, { token: second.accessToken }));
      await Promise.all([s1, s2].map(expectServed));

      const rotated = await http(t.baseUrl, 'POST', '/api/auth/refresh', {
        body: { refreshToken: alice.refreshToken },
      });
      expect(rotated.status).toBe(200);
      // Rotation alone ends nothing: same session.
      await expectServed(s1);
      const reused = await http(t.baseUrl, 'POST', '/api/auth/refresh', {
        body: { refreshToken: alice.refreshToken },
      });
      expect(reused.status).toBe(401);

      expect(await s1.waitClosed()).toBe(4401);
      await expectServed(s2);
      // The whole family is gone, the rotated pair included.
      await expectRefused(WsTestClient.connect(t.wsUrl, { token: rotated.body.accessToken }), 401);
    });
  });
});

describe('WebSocket Origin check in production with no ALLOWED_ORIGINS (same-origin only)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ NODE_ENV: 'production', JWT_SECRET });
  });
  afterAll(async () => {
    await t.close();
  });

  it("the service's own pages may open /ws; other Origins get 403", async () => {
    const alice = await registerUser(t.baseUrl);
    // A browser on the service's own origin (Origin matches the Host it connects to).
    expect(
      await WsTestClient.upgradeStatus(t.wsUrl, { token: alice.accessToken, origin: t.baseUrl }),
    ).toBe(101);
    expect(
      await WsTestClient.upgradeStatus(t.wsUrl, {
        token: alice.accessToken,
        origin: 'https://evil.example',
      }),
    ).toBe(403);
    // Same host name, other port: another origin.
    const otherPort = t.baseUrl.replace(
      /:(\d+)$/,
      (_, p: string) => `:${Number(p) === 1 ? 2 : Number(p) - 1}`,
    );
    expect(
      await WsTestClient.upgradeStatus(t.wsUrl, { token: alice.accessToken, origin: otherPort }),
    ).toBe(403);
    // Non-browser clients send no Origin.
    expect(await WsTestClient.upgradeStatus(t.wsUrl, { token: alice.accessToken })).toBe(101);
  });
});
