// What every HTTP answer carries beyond its body: security headers (the /docs page working
// under its Content-Security-Policy), the IETF RateLimit fields beside Retry-After on every
// rate-limited route, and a refused WebSocket upgrade answering the contract's JSON error body.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { startTestApp, type TestApp } from '../support/app.js';
import { coreEnv } from '../support/flags.js';
import {
  createRoom,
  http,
  joinRoom,
  registerUser,
  type HttpResult,
  type TestUser,
} from '../support/http.js';

/** An upgrade request to /ws answered without an upgrade: its status, headers and body. */
function refusedUpgrade(
  baseUrl: string,
  headers: Record<string, string>,
  path = '/ws',
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: u.hostname,
      port: u.port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new Error('the upgrade was accepted'));
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function expectSecurityHeaders(h: Headers, what: string): void {
  const missing = [
    'content-security-policy',
    'x-content-type-options',
    'x-frame-options',
    'referrer-policy',
    'strict-transport-security',
    'cross-origin-opener-policy',
  ].filter((name) => !h.get(name));
  expect({ what, missing }).toEqual({ what, missing: [] });
  expect(h.get('x-content-type-options')).toBe('nosniff');
  expect(h.get('x-powered-by')).toBeNull();
}

describe('HTTP hardening', () => {
  let t: TestApp;
  let alice: TestUser;

  beforeAll(async () => {
    t = await startTestApp(
      coreEnv({
        RATE_LIMIT_HTTP_PER_MIN: '8',
        ROOM_JOIN_MAX_FAILURES: '2',
        ALLOWED_ORIGINS: 'https://app.example',
      }),
    );
    alice = await registerUser(t.baseUrl);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('security headers', () => {
    it('on every kind of answer: API, errors, unknown paths, health, metrics, docs', async () => {
      const cases: [string, string, Record<string, string>][] = [
        ['GET', '/api/features', {}],
        ['GET', '/api/users/me', { authorization: `Bearer ${alice.accessToken}` }],
        ['GET', '/api/users/me', {}], // 401
        ['GET', '/nowhere', {}], // the JSON 404 outside /api
        ['GET', '/api/nowhere', {}],
        ['POST', '/api/auth/login', { 'content-type': 'application/json' }], // 400 on an empty body
        ['GET', '/health/live', {}],
        ['GET', '/metrics', {}],
        ['GET', '/docs', {}],
        ['GET', '/docs-json', {}],
      ];
      for (const [method, path, headers] of cases) {
        const res = await fetch(t.baseUrl + path, {
          method,
          headers,
          body: method === 'POST' ? '{' : undefined,
        });
        await res.arrayBuffer();
        expectSecurityHeaders(res.headers, `${method} ${path} (${res.status})`);
      }
    });

    it('the /docs page works under its Content-Security-Policy: scripts and styles are its own', async () => {
      const res = await fetch(`${t.baseUrl}/docs`);
      const csp = res.headers.get('content-security-policy')!;
      const html = await res.text();
      const directive = (name: string) =>
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .find(([n]) => n === name)
          ?.slice(1) ?? [];
      expect(directive('script-src')).toEqual(["'self'"]);
      expect(csp).not.toContain('upgrade-insecure-requests');
      // No inline script (CSP would block it); every script and stylesheet comes from here and loads.
      const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attrs, inline] of scripts) {
        expect(inline.trim()).toBe('');
        const src = /src=["']([^"']+)["']/.exec(attrs)?.[1];
        expect(src).toBeDefined();
        const url = new URL(src!, res.url);
        expect(url.origin).toBe(t.baseUrl);
        expect((await fetch(url)).status).toBe(200);
      }
      // Its inline <style> blocks need 'unsafe-inline' styles (never scripts).
      if (/<style>/.test(html)) expect(directive('style-src')).toContain("'unsafe-inline'");
      expect(directive('img-src')).toContain('data:');
    });
  });

  describe('RateLimit header fields beside Retry-After', () => {
    it('the per-caller limit: every answer says what is left; the 429 says when it is whole again', async () => {
      const bob = await registerUser(t.baseUrl);
      const seen: number[] = [];
      let refused: HttpResult | null = null;
      for (let i = 0; i < 20 && !refused; i++) {
        const res = await http(t.baseUrl, 'GET', '/api/users/me', { token: bob.accessToken });
        expect(res.headers.get('ratelimit-limit')).toBe('8');
        expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(0);
        if (res.status === 429) refused = res;
        else seen.push(Number(res.headers.get('ratelimit-remaining')));
      }
      expect(seen.length).toBeGreaterThan(0);
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeLessThanOrEqual(seen[i - 1]);
      expect(refused).not.toBeNull();
      expect(refused!.body.code).toBe('RATE_LIMITED');
      expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused!.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(refused!.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    });

    it("a room's join throttle: the 429 describes that quota", async () => {
      const owner = await registerUser(t.baseUrl);
      const room = await createRoom(t.baseUrl, owner, { isPrivate: true, password: 'right pass' });
      const carol = await registerUser(t.baseUrl);
      let res = await joinRoom(t.baseUrl, carol, room.id, 'wrong pass');
      for (let i = 0; i < 5 && res.status !== 429; i++)
        res = await joinRoom(t.baseUrl, carol, room.id, 'wrong pass');
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('ROOM_JOIN_THROTTLED');
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(res.headers.get('ratelimit-limit')).toBe('2');
      expect(res.headers.get('ratelimit-remaining')).toBe('0');
      expect(res.headers.get('ratelimit-reset')).toBe(String(retryAfter));
    });

    it('CORS lets browsers read them', async () => {
      const res = await fetch(`${t.baseUrl}/api/features`, {
        headers: { origin: 'https://app.example' },
      });
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase();
      for (const h of ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'])
        expect(exposed).toContain(h);
    });
  });

  describe('a refused WebSocket upgrade answers the JSON error body', () => {
    const expectJsonRefusal = (
      r: { status: number; headers: IncomingHttpHeaders; body: string },
      status: number,
      code: string,
    ) => {
      expect(r.status).toBe(status);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(r.body) as Record<string, unknown>;
      expect(body).toMatchObject({ statusCode: status, code });
      expect(typeof body.message).toBe('string');
    };

    it('no credentials: 401 AUTH_REQUIRED', async () => {
      expectJsonRefusal(await refusedUpgrade(t.baseUrl, {}), 401, 'AUTH_REQUIRED');
    });

    it('a forged ticket or token: 401 with its code', async () => {
      const r = await refusedUpgrade(t.baseUrl, {}, '/ws?ticket=forged');
      expectJsonRefusal(r, 401, JSON.parse(r.body).code);
      expect(JSON.parse(r.body).code).not.toBe('AUTH_REQUIRED');
      const bearer = await refusedUpgrade(t.baseUrl, { authorization: 'Bearer not.a.jwt' });
      expect(bearer.headers['content-type']).toMatch(/^application\/json/);
      expect(bearer.status).toBe(401);
    });

    it('an Origin outside the allowlist: 403 ORIGIN_NOT_ALLOWED', async () => {
      expectJsonRefusal(
        await refusedUpgrade(t.baseUrl, {
          origin: 'https://evil.example',
          authorization: `Bearer ${alice.accessToken}`,
        }),
        403,
        'ORIGIN_NOT_ALLOWED',
      );
    });

    it('a malformed handshake: 400 BAD_UPGRADE', async () => {
      expectJsonRefusal(
        await refusedUpgrade(t.baseUrl, {
          'Sec-WebSocket-Key': 'too short',
          authorization: `Bearer ${alice.accessToken}`,
        }),
        400,
        'BAD_UPGRADE',
      );
    });
  });
});
