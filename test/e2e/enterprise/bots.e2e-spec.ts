// The bots module end to end: bots and their tokens, room bots, bots posting with
// `Authorization: Bot <token>`, rate limits, and outgoing webhooks to a real HTTP receiver on
// loopback that checks every signature. Module off: its paths answer 404, its tables are absent.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { startTestApp, type TestApp } from '../../support/app.js';
import {
  coreEnv,
  createEnterpriseDatabase,
  enterpriseEnv,
  tablesIn,
  withDatabase,
} from '../../support/flags.js';
import {
  createRoom,
  errorText,
  expectError,
  http,
  joinRoom,
  login,
  registerUser,
  sendMessage,
  uniqueName,
  type HttpResult,
  type TestUser,
} from '../../support/http.js';
import type { BotsConfig } from '../../../src/modules/bots/bots.config.js';
import { webhookSignature } from '../../../src/modules/bots/domain/bot-token.js';
import { WebhookNetwork } from '../../../src/modules/bots/infrastructure/webhooks/webhook-network.js';
import { waitFor } from '../../support/wait.js';
import { WebhookReceiver, type ReceivedDelivery } from '../../support/webhook-receiver.js';
import { connectWithTicket, type WsTestClient } from '../../support/ws-client.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('bots module on', () => {
  let db: { url: string; drop(): Promise<void> };
  let t: TestApp;
  let receiver: WebhookReceiver;
  const adminName = uniqueName('botadm');
  let admin: TestUser;
  const sockets: WsTestClient[] = [];

  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    withDatabase(db.url, async (c) => (await c.query(text, params)).rows as T[]);
  const api = (method: string, path: string, user?: TestUser, body?: unknown) =>
    http(t.baseUrl, method, path, { token: user?.accessToken, body });
  const botPost = (token: string | null, roomId: string, body: unknown, scheme = 'Bot') =>
    http(t.baseUrl, 'POST', `/api/bot/rooms/${roomId}/messages`, {
      body,
      headers: token === null ? {} : { authorization: `${scheme} ${token}` },
    });
  const user = () => registerUser(t.baseUrl);
  const newBot = async (owner: TestUser, extra: Record<string, unknown> = {}) => {
    const res = await api('POST', '/api/bots', owner, { name: uniqueName('b'), ...extra });
    if (res.status !== 201)
      throw new Error(`create bot: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as {
      id: string;
      userId: string;
      name: string;
      username: string;
      token: string;
    };
  };
  const addBot = (owner: TestUser, roomId: string, botId: string) =>
    api('POST', `/api/rooms/${roomId}/bots/${botId}`, owner);
  const deliveriesOf = (botId: string) =>
    sql<{
      id: string;
      message_id: string;
      status: string;
      attempts: number;
      last_error: string | null;
    }>(
      `SELECT id, message_id, status, attempts, last_error FROM webhook_deliveries WHERE bot_id = $1`,
      [botId],
    );
  const at = (path: string) => (d: ReceivedDelivery) => d.path === path;

  beforeAll(async () => {
    // A database of this file's own: no other suite's dispatcher may claim these deliveries.
    db = await createEnterpriseDatabase();
    receiver = await WebhookReceiver.start();
    t = await startTestApp(
      enterpriseEnv(['FEATURE_BOT_MESSAGES'], {
        DATABASE_URL: db.url,
        ADMIN_USERNAMES: adminName,
        BOT_WEBHOOK_ALLOW_PRIVATE: 'loopback',
        BOT_RATE_PER_SEC: '1',
        BOT_RATE_BURST: '30',
        BOT_WEBHOOK_POLL_MS: '100',
        BOT_WEBHOOK_TIMEOUT_MS: '800',
        BOT_WEBHOOK_LEASE_MS: '2000',
        BOT_WEBHOOK_BACKOFF_BASE_MS: '100',
        BOT_WEBHOOK_BACKOFF_MAX_MS: '300',
        BOT_WEBHOOK_MAX_ATTEMPTS: '3',
      }),
    );
    admin = await registerUser(t.baseUrl, { username: adminName });
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await t?.close();
    await receiver?.close();
    await db?.drop();
  });

  describe('creating a bot', () => {
    it('answers the bot with its token once, stores only the SHA-256, backs it with a user', async () => {
      const owner = await user();
      const name = uniqueName('wx').replace(/_/g, '-');
      const res = await api('POST', '/api/bots', owner, {
        name,
        avatarUrl: 'https://example.com/a.png',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name,
        username: `${name}[bot]`,
        ownerId: owner.id,
        avatarUrl: 'https://example.com/a.png',
        webhookUrl: null,
        tokenRotatedAt: null,
      });
      const token: string = res.body.token;
      expect(token).toMatch(
        new RegExp(`^bot_${res.body.id.replace(/-/g, '')}\\.[A-Za-z0-9_-]{43}$`),
      );

      const [row] = await sql<Record<string, string>>(`SELECT * FROM bots WHERE id = $1`, [
        res.body.id,
      ]);
      expect(row.token_hash).toBe(sha256(token));
      expect(JSON.stringify(row)).not.toContain(token.split('.')[1]);
      const [u] = await sql<Record<string, string>>(`SELECT * FROM users WHERE id = $1`, [
        res.body.userId,
      ]);
      expect(u).toMatchObject({
        username: `${name}[bot]`,
        email: `bot-${res.body.id}@bots.invalid`,
        status: 'active',
      });
      expect(JSON.stringify(u)).not.toContain(token.split('.')[1]);

      // GET never shows the token again.
      const got = await api('GET', `/api/bots/${res.body.id}`, owner);
      expect(got.status).toBe(200);
      expect(got.body.token).toBeUndefined();
      expect(got.body).toMatchObject({ id: res.body.id, userId: res.body.userId, name });
    });

    it("nobody can log in as a bot's user: 401 INVALID_CREDENTIALS, as for a wrong password", async () => {
      const owner = await user();
      const bot = await newBot(owner);
      const [u] = await sql<{ email: string; password_hash: string }>(
        `SELECT email, password_hash FROM users WHERE id = $1`,
        [bot.userId],
      );
      for (const [loginName, password] of [
        [bot.username, 'correct horse battery'],
        [bot.username, bot.token],
        [u.email, bot.token],
        [bot.username, u.password_hash],
        [bot.username, ''.padEnd(8, 'x')],
      ])
        expectError(await login(t.baseUrl, loginName, password), 401, 'INVALID_CREDENTIALS');
      // A person cannot register the bot's username (it has characters registration refuses).
      const reg = await http(t.baseUrl, 'POST', '/api/auth/register', {
        body: {
          username: bot.username,
          email: `${uniqueName('x')}@example.test`,
          password: 'password123',
        },
      });
      expectError(reg, 400, 'VALIDATION_FAILED');
    });

    it('refuses bad input with 400 naming the field, and creates nothing', async () => {
      const owner = await user();
      const cases: [unknown, string][] = [
        [{}, 'name'],
        [{ name: 'x' }, 'name'],
        [{ name: 'has space' }, 'name'],
        [{ name: 'evil[bot]' }, 'name'],
        [{ name: 'a'.repeat(33) }, 'name'],
        [{ name: 'okname', avatarUrl: 'not a url' }, 'avatarUrl'],
        [{ name: 'okname', webhookUrl: 42 }, 'webhookUrl'],
        [{ name: 'okname', extra: 1 }, 'extra'],
        [{ name: 'okname', webhookUrl: 'ftp://example.com/x' }, 'webhookUrl'],
        [{ name: 'okname', webhookUrl: 'http://user:pw@93.184.216.34/x' }, 'webhookUrl'],
        [{ name: 'okname', webhookUrl: 'nonsense' }, 'webhookUrl'],
      ];
      for (const [body, field] of cases) {
        const res = await api('POST', '/api/bots', owner, body);
        expectError(res, 400, 'VALIDATION_FAILED');
        expect(errorText(res)).toContain(field);
      }
      const [n] = await sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM bots WHERE owner_id = $1`,
        [owner.id],
      );
      expect(n.n).toBe(0);
    });

    it('refuses webhook URLs on private, link-local, unique-local or mapped addresses (400 WEBHOOK_URL_REFUSED)', async () => {
      const owner = await user();
      for (const url of [
        'http://10.0.0.1/hook',
        'http://192.168.1.20/hook',
        'http://169.254.169.254/latest/meta-data',
        'http://[fd00::1]/hook',
        'http://[fe80::1]/hook',
        'http://[::ffff:10.0.0.1]/hook',
        'http://0.0.0.0/hook',
        'http://224.0.0.1/hook',
      ]) {
        const res = await api('POST', '/api/bots', owner, {
          name: uniqueName('r'),
          webhookUrl: url,
        });
        expectError(res, 400, 'WEBHOOK_URL_REFUSED');
      }
      const [n] = await sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM bots WHERE owner_id = $1`,
        [owner.id],
      );
      expect(n.n).toBe(0);
      // A public address is fine (nothing is sent when the bot is created).
      expect(
        (
          await api('POST', '/api/bots', owner, {
            name: uniqueName('p'),
            webhookUrl: 'http://93.184.216.34/h',
          })
        ).status,
      ).toBe(201);
      // Loopback is allowed here only because this app runs with BOT_WEBHOOK_ALLOW_PRIVATE=loopback.
      expect(
        (
          await api('POST', '/api/bots', owner, {
            name: uniqueName('l'),
            webhookUrl: receiver.url(),
          })
        ).status,
      ).toBe(201);
    });

    it('409 BOT_NAME_TAKEN for a name in use (case-insensitive); 401 without a token', async () => {
      const owner = await user();
      const bot = await newBot(owner);
      expectError(
        await api('POST', '/api/bots', await user(), { name: bot.name.toUpperCase() }),
        409,
        'BOT_NAME_TAKEN',
      );
      expectError(await api('POST', '/api/bots', undefined, { name: 'whatever' }), 401);
    });
  });

  describe('reading, changing and deleting bots', () => {
    it('lists only the caller’s bots, newest first, keyset-paginated', async () => {
      const owner = await user();
      const a = await newBot(owner);
      const b = await newBot(owner);
      await newBot(await user());
      const p1 = await api('GET', '/api/bots?limit=1', owner);
      expect(p1.status).toBe(200);
      expect(p1.body.items.map((x: { id: string }) => x.id)).toEqual([b.id]);
      expect(p1.body.nextCursor).toEqual(expect.any(String));
      const p2 = await api('GET', `/api/bots?limit=1&cursor=${p1.body.nextCursor}`, owner);
      expect(p2.body).toEqual({ items: [expect.objectContaining({ id: a.id })], nextCursor: null });
      expectError(await api('GET', '/api/bots?limit=0', owner), 400, 'VALIDATION_FAILED');
      expectError(await api('GET', '/api/bots?cursor=bogus', owner), 400, 'VALIDATION_FAILED');
      expectError(await api('GET', '/api/bots'), 401);
    });

    it('GET/PATCH/DELETE: owner or bot.manage holder; others 403; unknown 404; malformed 400', async () => {
      const owner = await user();
      const other = await user();
      const bot = await newBot(owner);
      for (const [method, path, body] of [
        ['GET', `/api/bots/${bot.id}`, undefined],
        ['PATCH', `/api/bots/${bot.id}`, { avatarUrl: null }],
        ['POST', `/api/bots/${bot.id}/token`, undefined],
        ['DELETE', `/api/bots/${bot.id}`, undefined],
        ['GET', `/api/bots/${bot.id}/deliveries`, undefined],
      ] as const) {
        expectError(await api(method, path, other, body), 403, 'PERMISSION_DENIED');
        expectError(await api(method, path, undefined, body), 401);
        const unknown = path.replace(bot.id, '00000000-0000-4000-8000-000000000000');
        expectError(await api(method, unknown, owner, body), 404, 'BOT_NOT_FOUND');
        expectError(
          await api(method, path.replace(bot.id, 'nope'), owner, body),
          400,
          'VALIDATION_FAILED',
        );
      }
      // The bot still works: nothing above changed it.
      const [row] = await sql<{ token_hash: string }>(`SELECT token_hash FROM bots WHERE id = $1`, [
        bot.id,
      ]);
      expect(row.token_hash).toBe(sha256(bot.token));
      // ADMIN_USERNAMES holds bot.manage.
      expect((await api('GET', `/api/bots/${bot.id}`, admin)).status).toBe(200);
      expect((await api('PATCH', `/api/bots/${bot.id}`, admin, { avatarUrl: null })).status).toBe(
        200,
      );
    });

    it('PATCH renames the bot and its user, changes the webhook (checked), or removes it with null', async () => {
      const owner = await user();
      const bot = await newBot(owner, { webhookUrl: receiver.url('/patch') });
      const name = uniqueName('renamed').replace(/_/g, '.');
      const res = await api('PATCH', `/api/bots/${bot.id}`, owner, { name });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        name,
        username: `${name}[bot]`,
        webhookUrl: receiver.url('/patch'),
      });
      const [u] = await sql<{ username: string }>(`SELECT username FROM users WHERE id = $1`, [
        bot.userId,
      ]);
      expect(u.username).toBe(`${name}[bot]`);

      expectError(
        await api('PATCH', `/api/bots/${bot.id}`, owner, { webhookUrl: 'http://10.1.2.3/x' }),
        400,
        'WEBHOOK_URL_REFUSED',
      );
      expectError(
        await api('PATCH', `/api/bots/${bot.id}`, owner, { name: 'b a d' }),
        400,
        'VALIDATION_FAILED',
      );
      expectError(
        await api('PATCH', `/api/bots/${bot.id}`, owner, { name: null }),
        400,
        'VALIDATION_FAILED',
      );
      const taken = await newBot(await user());
      expectError(
        await api('PATCH', `/api/bots/${bot.id}`, owner, { name: taken.name }),
        409,
        'BOT_NAME_TAKEN',
      );
      const [still] = await sql<{ name: string; webhook_url: string }>(
        `SELECT name, webhook_url FROM bots WHERE id = $1`,
        [bot.id],
      );
      expect(still).toEqual({ name, webhook_url: receiver.url('/patch') });

      const cleared = await api('PATCH', `/api/bots/${bot.id}`, owner, { webhookUrl: null });
      expect(cleared.status).toBe(200);
      expect(cleared.body.webhookUrl).toBeNull();
    });
  });

  describe('room bots', () => {
    it("the room's owner adds their bot (member.joined), others cannot; re-adding answers the same membership", async () => {
      const owner = await user();
      const member = await user();
      const room = await createRoom(t.baseUrl, owner);
      expect((await joinRoom(t.baseUrl, member, room.id)).status).toBe(200);
      const bot = await newBot(owner);
      const ws = await connectWithTicket(t, member);
      sockets.push(ws);
      await ws.subscribe(room.id);

      expectError(await addBot(member, room.id, bot.id), 403, 'NOT_ROOM_OWNER');
      expectError(
        await addBot(owner, room.id, '00000000-0000-4000-8000-000000000000'),
        404,
        'BOT_NOT_FOUND',
      );
      expectError(
        await addBot(owner, '00000000-0000-4000-8000-000000000000', bot.id),
        404,
        'ROOM_NOT_FOUND',
      );
      expectError(await addBot(owner, room.id, 'x'), 400, 'VALIDATION_FAILED');
      expectError(await addBot(owner, 'x', bot.id), 400, 'VALIDATION_FAILED');
      expectError(await api('POST', `/api/rooms/${room.id}/bots/${bot.id}`), 401);
      // Someone else's bot: the room owner does not own it.
      const foreign = await newBot(member);
      expectError(await addBot(owner, room.id, foreign.id), 403, 'PERMISSION_DENIED');
      const [before] = await sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM room_members WHERE room_id = $1`,
        [room.id],
      );
      expect(before.n).toBe(2);

      const res = await addBot(owner, room.id, bot.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        roomId: room.id,
        userId: bot.userId,
        username: bot.username,
        role: 'member',
      });
      const joined = await ws.next(
        (f) => f.event === 'member.joined' && f.data.userId === bot.userId,
      );
      expect(joined.data).toMatchObject({ roomId: room.id, username: bot.username });
      expect((await addBot(owner, room.id, bot.id)).body).toEqual(res.body);

      // A private room the caller is not in stays hidden.
      const secret = await createRoom(t.baseUrl, member, {
        isPrivate: true,
        password: 'secret-pw',
      });
      expectError(await addBot(owner, secret.id, bot.id), 404, 'ROOM_NOT_FOUND');
      // The admin (room.update.any and bot.manage) may.
      expect((await addBot(admin, secret.id, foreign.id)).status).toBe(200);
    });

    it('the room owner or the bot owner removes a bot (member.left kicked); others 403; not in the room 404', async () => {
      const owner = await user();
      const botOwner = await user();
      const stranger = await user();
      const room = await createRoom(t.baseUrl, owner);
      expect((await joinRoom(t.baseUrl, stranger, room.id)).status).toBe(200);
      const mine = await newBot(owner);
      const theirs = await newBot(botOwner);
      expect((await addBot(owner, room.id, mine.id)).status).toBe(200);
      expect((await addBot(admin, room.id, theirs.id)).status).toBe(200);
      const ws = await connectWithTicket(t, stranger);
      sockets.push(ws);
      await ws.subscribe(room.id);

      const del = (u: TestUser | undefined, botId: string, roomId = room.id) =>
        api('DELETE', `/api/rooms/${roomId}/bots/${botId}`, u);
      expectError(await del(stranger, mine.id), 403, 'NOT_ROOM_OWNER');
      expectError(await del(undefined, mine.id), 401);
      expectError(await del(owner, '00000000-0000-4000-8000-000000000000'), 404, 'BOT_NOT_FOUND');
      expectError(
        await del(owner, mine.id, '00000000-0000-4000-8000-000000000000'),
        404,
        'ROOM_NOT_FOUND',
      );

      expect((await del(owner, mine.id)).status).toBe(204);
      const left = await ws.next((f) => f.event === 'member.left' && f.data.userId === mine.userId);
      expect(left.data).toMatchObject({ roomId: room.id, username: mine.username });
      expectError(await del(owner, mine.id), 404, 'BOT_NOT_FOUND');
      // The bot's owner may take their bot out of a room they do not own.
      expect((await del(botOwner, theirs.id)).status).toBe(204);
      const [n] = await sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM room_members WHERE room_id = $1`,
        [room.id],
      );
      expect(n.n).toBe(2);
    });
  });

  describe('bots posting', () => {
    it('a member bot posts with Authorization: Bot <token>; the message has type "bot" and reaches subscribers', async () => {
      const owner = await user();
      const room = await createRoom(t.baseUrl, owner);
      const bot = await newBot(owner);
      expect((await addBot(owner, room.id, bot.id)).status).toBe(200);
      const ws = await connectWithTicket(t, owner);
      sockets.push(ws);
      await ws.subscribe(room.id);

      const res = await botPost(bot.token, room.id, { content: 'beep boop', clientMsgId: 'b-1' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        roomId: room.id,
        seq: 1,
        userId: bot.userId,
        username: bot.username,
        content: 'beep boop',
        type: 'bot',
        clientMsgId: 'b-1',
        sentBy: null,
      });
      const [live] = await ws.waitForMessages(room.id, 1);
      expect(live).toMatchObject({ id: res.body.id, type: 'bot', userId: bot.userId });
      // Idempotent per clientMsgId, like a user's send.
      const again = await botPost(bot.token, room.id, { content: 'beep boop', clientMsgId: 'b-1' });
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(res.body.id);
      const history = await api('GET', `/api/rooms/${room.id}/messages`, owner);
      expect(history.body.items).toEqual([
        expect.objectContaining({ id: res.body.id, type: 'bot' }),
      ]);
    });

    it('401 BOT_TOKEN_INVALID for a missing, malformed, forged or user token; nothing stored', async () => {
      const owner = await user();
      const room = await createRoom(t.baseUrl, owner);
      const bot = await newBot(owner);
      expect((await addBot(owner, room.id, bot.id)).status).toBe(200);
      const forged = bot.token.slice(0, -4) + (bot.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      for (const [token, scheme] of [
        [null, 'Bot'],
        ['', 'Bot'],
        ['garbage', 'Bot'],
        [forged, 'Bot'],
        [bot.token, 'Bearer'],
        [owner.accessToken, 'Bot'],
        [`bot_${'0'.repeat(32)}.${bot.token.split('.')[1]}`, 'Bot'],
      ] as const)
        expectError(
          await botPost(token, room.id, { content: 'x' }, scheme),
          401,
          'BOT_TOKEN_INVALID',
        );
      const [r] = await sql<{ last_seq: string }>(`SELECT last_seq FROM rooms WHERE id = $1`, [
        room.id,
      ]);
      expect(Number(r.last_seq)).toBe(0);
    });

    it('refuses bad bodies (400), rooms it is not in (403 public, 404 private), unknown rooms (404)', async () => {
      const owner = await user();
      const room = await createRoom(t.baseUrl, owner);
      const secret = await createRoom(t.baseUrl, owner, { isPrivate: true, password: 'secret-pw' });
      const outside = await createRoom(t.baseUrl, owner);
      const bot = await newBot(owner);
      expect((await addBot(owner, room.id, bot.id)).status).toBe(200);
      for (const body of [
        {},
        { content: '' },
        { content: '   ' },
        { content: 'x'.repeat(4001) },
        { content: 'hi', type: 'text' },
        { content: 'hi', clientMsgId: 'has space' },
        { content: 7 },
      ])
        expectError(await botPost(bot.token, room.id, body), 400, 'VALIDATION_FAILED');
      expectError(await botPost(bot.token, 'nope', { content: 'x' }), 400, 'VALIDATION_FAILED');
      expectError(await botPost(bot.token, outside.id, { content: 'x' }), 403, 'NOT_ROOM_MEMBER');
      expectError(await botPost(bot.token, secret.id, { content: 'x' }), 404, 'ROOM_NOT_FOUND');
      expectError(
        await botPost(bot.token, '00000000-0000-4000-8000-000000000000', { content: 'x' }),
        404,
        'ROOM_NOT_FOUND',
      );
      const rows = await sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages WHERE user_id = $1`,
        [bot.userId],
      );
      expect(rows[0].n).toBe(0);
    });

    it('is rate-limited per bot: past the burst, 429 RATE_LIMITED with Retry-After, nothing stored', async () => {
      const owner = await user();
      const room = await createRoom(t.baseUrl, owner);
      const bot = await newBot(owner);
      const other = await newBot(owner);
      expect((await addBot(owner, room.id, bot.id)).status).toBe(200);
      expect((await addBot(owner, room.id, other.id)).status).toBe(200);
      // A burst of 30 at 1/s: the first refusal comes right after the burst is spent.
      const results: HttpResult[] = [];
      while (results.length < 40 && results[results.length - 1]?.status !== 429)
        results.push(await botPost(bot.token, room.id, { content: `m${results.length}` }));
      const refused = results[results.length - 1];
      expectError(refused, 429, 'RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const stored = results.length - 1;
      expect(stored).toBeGreaterThanOrEqual(30);
      expect(stored).toBeLessThanOrEqual(33);
      expect(results.slice(0, -1).every((r) => r.status === 201)).toBe(true);
      // Another bot has its own bucket.
      expect((await botPost(other.token, room.id, { content: 'mine' })).status).toBe(201);
      const [n] = await sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages WHERE user_id = $1`,
        [bot.userId],
      );
      expect(n.n).toBe(stored);
    });
  });

  describe('token rotation', () => {
    it('a new token works at once, the old one is refused at once, and webhooks are signed with the new one', async () => {
      const owner = await user();
      const room = await createRoom(t.baseUrl, owner);
      const bot = await newBot(owner, { webhookUrl: receiver.url('/rotate') });
      expect((await addBot(owner, room.id, bot.id)).status).toBe(200);
      expect((await botPost(bot.token, room.id, { content: 'before' })).status).toBe(201);

      const res = await api('POST', `/api/bots/${bot.id}/token`, owner);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: bot.id, tokenRotatedAt: expect.any(String) });
      const fresh: string = res.body.token;
      expect(fresh).not.toBe(bot.token);
      expect(fresh.startsWith(`bot_${bot.id.replace(/-/g, '')}.`)).toBe(true);
      const [row] = await sql<{ token_hash: string }>(`SELECT token_hash FROM bots WHERE id = $1`, [
        bot.id,
      ]);
      expect(row.token_hash).toBe(sha256(fresh));

      expectError(await botPost(bot.token, room.id, { content: 'old' }), 401, 'BOT_TOKEN_INVALID');
      expect((await botPost(fresh, room.id, { content: 'new' })).status).toBe(201);

      // The receiver knows only the new token now: a delivery signed with the old key would fail.
      receiver.tokens.add(fresh);
      const bad = receiver.badSignatures;
      const sent = await sendMessage(t.baseUrl, owner, room.id, { content: 'after rotation' });
      expect(sent.status).toBe(201);
      const d = await waitFor(
        () => receiver.verified().find((x) => x.body?.message?.id === sent.body.id),
        'the delivery signed with the new token',
      );
      expect(d.path).toBe('/rotate');
      expect(receiver.badSignatures).toBe(bad);
      // The admin may rotate too.
      expect((await api('POST', `/api/bots/${bot.id}/token`, admin)).status).toBe(200);
    });
  });

  describe('outgoing webhooks', () => {
    it('POSTs each message of the room to the bot’s webhook, signed, with a delivery id; not the bot’s own', async () => {
      const owner = await user();
      const member = await user();
      const room = await createRoom(t.baseUrl, owner);
      expect((await joinRoom(t.baseUrl, member, room.id)).status).toBe(200);
      const early = await sendMessage(t.baseUrl, member, room.id, { content: 'before any bot' });
      expect(early.status).toBe(201);
      const bot = await newBot(owner, { webhookUrl: receiver.url('/main') });
      const twin = await newBot(owner, { webhookUrl: receiver.url('/twin') });
      const silent = await newBot(owner); // no webhook
      receiver.tokens.add(bot.token).add(twin.token);
      for (const b of [bot, twin, silent])
        expect((await addBot(owner, room.id, b.id)).status).toBe(200);

      const m1 = await sendMessage(t.baseUrl, member, room.id, { content: 'hello bots' });
      const own = await botPost(bot.token, room.id, { content: 'my own words' });
      const bySilent = await botPost(silent.token, room.id, { content: 'a quiet bot speaks' });
      expect([m1.status, own.status, bySilent.status]).toEqual([201, 201, 201]);

      const main = await waitFor(() => {
        const got = receiver.verified().filter(at('/main'));
        return got.length >= 2 ? got : null;
      }, 'two deliveries to /main');
      const d = main.find((x) => x.body.message.id === m1.body.id)!;
      expect(d).toBeDefined();
      expect(d.body).toEqual({
        deliveryId: d.deliveryId,
        bot: { id: bot.id },
        event: 'message.new',
        // The Message as the room's members got it (its event's eventSeq is not the bot's).
        message: {
          ...m1.body,
          id: m1.body.id,
          roomId: room.id,
          userId: member.id,
          username: member.username,
          content: 'hello bots',
          type: 'text',
          clientMsgId: null,
          sentBy: null,
          deletedAt: null,
        },
      });
      expect(d.headers['content-type']).toBe('application/json');
      expect(d.event).toBe('message.new');
      expect(Math.abs(d.timestamp - Date.now() / 1000)).toBeLessThan(30);
      expect(d.deliveryId).toMatch(/^[0-9a-f-]{36}$/);
      // /main got the member's message and the silent bot's, never its own nor the early one.
      expect(main.map((x) => x.body.message.id).sort()).toEqual(
        [m1.body.id, bySilent.body.id].sort(),
      );
      const twinGot = await waitFor(() => {
        const got = receiver.verified().filter(at('/twin'));
        return got.length >= 3 ? got : null;
      }, 'three deliveries to /twin');
      expect(twinGot.map((x) => x.body.message.id).sort()).toEqual(
        [m1.body.id, own.body.id, bySilent.body.id].sort(),
      );
      // One delivery id per (bot, message), distinct across bots.
      const twinD = twinGot.find((x) => x.body.message.id === m1.body.id)!;
      expect(twinD.deliveryId).not.toBe(d.deliveryId);
      await waitFor(async () => {
        const rows = await deliveriesOf(bot.id);
        return rows.length === 2 && rows.every((r) => r.status === 'delivered' && r.attempts === 1);
      }, 'the deliveries to be recorded as delivered');
      expect((await deliveriesOf(silent.id)).length).toBe(0);
      expect(receiver.badSignatures).toBe(0);
    });

    it('retries a failing receiver with back-off (same delivery id), gives up after the attempts, never follows a redirect', async () => {
      const owner = await user();
      const room = await createRoom(t.baseUrl, owner);
      const bot = await newBot(owner, { webhookUrl: receiver.url('/flaky') });
      receiver.tokens.add(bot.token);
      expect((await addBot(owner, room.id, bot.id)).status).toBe(200);
      const seen = new Map<string, number>();
      const previous = receiver.answer;
      receiver.answer = (d) => {
        if (d.path === '/redirect') return { status: 302 };
        if (d.path !== '/flaky') return previous(d);
        const n = (seen.get(d.deliveryId) ?? 0) + 1;
        seen.set(d.deliveryId, n);
        if (d.body.message.content === 'always fails') return { status: 500 };
        if (d.body.message.content === 'too slow' && n === 1) return { status: 200, delayMs: 2000 };
        return n === 1 ? { status: 503 } : { status: 204 };
      };
      try {
        const ok = await sendMessage(t.baseUrl, owner, room.id, { content: 'second time lucky' });
        const fails = await sendMessage(t.baseUrl, owner, room.id, { content: 'always fails' });
        const slow = await sendMessage(t.baseUrl, owner, room.id, { content: 'too slow' });
        const byMessage = async () =>
          new Map((await deliveriesOf(bot.id)).map((r) => [r.message_id, r]));
        await waitFor(
          async () => {
            const rows = await byMessage();
            return (
              rows.get(ok.body.id)?.status === 'delivered' &&
              rows.get(fails.body.id)?.status === 'failed' &&
              rows.get(slow.body.id)?.status === 'delivered'
            );
          },
          'the retries to settle',
          { timeoutMs: 15_000 },
        );
        const rows = await byMessage();
        expect(rows.get(ok.body.id)).toMatchObject({ attempts: 2, status: 'delivered' });
        expect(rows.get(fails.body.id)).toMatchObject({
          attempts: 3,
          status: 'failed',
          last_error: 'HTTP 500',
        });
        expect(rows.get(slow.body.id)).toMatchObject({ attempts: 2, status: 'delivered' });
        // Every try of a message carried the same delivery id.
        for (const [messageId, count] of [
          [ok.body.id, 2],
          [fails.body.id, 3],
          [slow.body.id, 2],
        ] as const) {
          const tries = receiver
            .verified()
            .filter((x) => x.path === '/flaky' && x.body.message.id === messageId);
          expect(tries).toHaveLength(count);
          expect(new Set(tries.map((x) => x.deliveryId)).size).toBe(1);
          expect(tries[0].deliveryId).toBe(rows.get(messageId)!.id);
        }
        // Back-off: the tries of the failing one are spaced (base 100 ms, equal jitter).
        const failTimes = receiver
          .verified()
          .filter((x) => x.body.message.id === fails.body.id)
          .map((x) => x.receivedAt);
        expect(failTimes[1] - failTimes[0]).toBeGreaterThanOrEqual(45);

        // The owner sees them through the API.
        const failed = await api('GET', `/api/bots/${bot.id}/deliveries?status=failed`, owner);
        expect(failed.status).toBe(200);
        expect(failed.body.items).toEqual([
          expect.objectContaining({
            messageId: fails.body.id,
            status: 'failed',
            attempts: 3,
            lastError: 'HTTP 500',
          }),
        ]);
        const all = await api('GET', `/api/bots/${bot.id}/deliveries?limit=2`, owner);
        expect(all.body.items).toHaveLength(2);
        expect(all.body.nextCursor).toEqual(expect.any(String));
        expectError(
          await api('GET', `/api/bots/${bot.id}/deliveries?status=nope`, owner),
          400,
          'VALIDATION_FAILED',
        );

        // A redirect is not followed: it counts as a failed attempt.
        expect(
          (
            await api('PATCH', `/api/bots/${bot.id}`, owner, {
              webhookUrl: receiver.url('/redirect'),
            })
          ).status,
        ).toBe(200);
        const r = await sendMessage(t.baseUrl, owner, room.id, { content: 'redirected' });
        await waitFor(
          async () => (await byMessage()).get(r.body.id)?.status === 'failed',
          'the redirected delivery to fail',
          { timeoutMs: 10_000 },
        );
        expect((await byMessage()).get(r.body.id)).toMatchObject({
          attempts: 3,
          last_error: 'HTTP 302',
        });
        expect(receiver.received.filter((x) => x.body?.message?.id === r.body.id)).toHaveLength(3);
      } finally {
        receiver.answer = previous;
      }
    }, 30_000);

    it('resolves a named webhook host on each delivery and connects to the checked address', async () => {
      const owner = await user();
      const room = await createRoom(t.baseUrl, owner);
      const named = `http://localhost:${receiver.port}/named`;
      const bot = await newBot(owner, { webhookUrl: named });
      receiver.tokens.add(bot.token);
      expect((await addBot(owner, room.id, bot.id)).status).toBe(200);
      const m = await sendMessage(t.baseUrl, owner, room.id, { content: 'by name' });
      const d = await waitFor(
        () => receiver.verified().find((x) => x.path === '/named'),
        'the delivery to the named host',
      );
      expect(d.body.message.id).toBe(m.body.id);
      expect(d.headers.host).toBe(`localhost:${receiver.port}`);
    });

    it('checks the address again at delivery: a webhook now pointing at a refused address is never called', async () => {
      const owner = await user();
      const room = await createRoom(t.baseUrl, owner);
      const bot = await newBot(owner, { webhookUrl: receiver.url('/rebound') });
      expect((await addBot(owner, room.id, bot.id)).status).toBe(200);
      // As if the name now resolved elsewhere: the stored URL points at a link-local address.
      await sql(
        `UPDATE bots SET webhook_url = 'http://169.254.169.254/latest/meta-data' WHERE id = $1`,
        [bot.id],
      );
      const m = await sendMessage(t.baseUrl, owner, room.id, { content: 'must not leave' });
      await waitFor(
        async () => (await deliveriesOf(bot.id)).some((r) => r.status === 'failed'),
        'the refused delivery to fail',
        { timeoutMs: 10_000 },
      );
      const [row] = await deliveriesOf(bot.id);
      expect(row.message_id).toBe(m.body.id);
      expect(row.last_error).toContain('WEBHOOK_URL_REFUSED');
    });

    it('a removed webhook drops what was not yet sent', async () => {
      const owner = await user();
      const room = await createRoom(t.baseUrl, owner);
      const bot = await newBot(owner, { webhookUrl: receiver.url('/held') });
      receiver.tokens.add(bot.token);
      expect((await addBot(owner, room.id, bot.id)).status).toBe(200);
      const previous = receiver.answer;
      receiver.answer = (d) => (d.path === '/held' ? 'hold' : previous(d));
      try {
        const m = await sendMessage(t.baseUrl, owner, room.id, { content: 'about to be unhooked' });
        await waitFor(() => receiver.heldCount === 1, 'the first attempt to arrive');
        expect(
          (await api('PATCH', `/api/bots/${bot.id}`, owner, { webhookUrl: null })).status,
        ).toBe(200);
        receiver.releaseHeld(503);
        await waitFor(
          async () => (await deliveriesOf(bot.id))[0]?.status === 'failed',
          'the delivery to be dropped',
        );
        const [row] = await deliveriesOf(bot.id);
        expect(row).toMatchObject({
          message_id: m.body.id,
          last_error: 'the bot has no webhook any more',
        });
      } finally {
        receiver.answer = previous;
      }
    });
  });

  describe('deleting a bot', () => {
    it('the token stops working, the bot leaves its rooms, its user stays (disabled) as the author, the name is free', async () => {
      const owner = await user();
      const member = await user();
      const room = await createRoom(t.baseUrl, owner);
      expect((await joinRoom(t.baseUrl, member, room.id)).status).toBe(200);
      const bot = await newBot(owner, { webhookUrl: receiver.url('/deleted') });
      receiver.tokens.add(bot.token);
      expect((await addBot(owner, room.id, bot.id)).status).toBe(200);
      const said = await botPost(bot.token, room.id, { content: 'last words' });
      expect(said.status).toBe(201);
      const ws = await connectWithTicket(t, member);
      sockets.push(ws);
      await ws.subscribe(room.id);

      expectError(await api('DELETE', `/api/bots/${bot.id}`, member), 403, 'PERMISSION_DENIED');
      expect((await api('DELETE', `/api/bots/${bot.id}`, owner)).status).toBe(204);
      const left = await ws.next((f) => f.event === 'member.left' && f.data.userId === bot.userId);
      expect(left.data.roomId).toBe(room.id);

      expectError(
        await botPost(bot.token, room.id, { content: 'ghost' }),
        401,
        'BOT_TOKEN_INVALID',
      );
      expectError(await api('GET', `/api/bots/${bot.id}`, owner), 404, 'BOT_NOT_FOUND');
      expectError(await api('DELETE', `/api/bots/${bot.id}`, owner), 404, 'BOT_NOT_FOUND');
      const [u] = await sql<{ status: string; username: string }>(
        `SELECT status, username FROM users WHERE id = $1`,
        [bot.userId],
      );
      expect(u.status).toBe('disabled');
      expect(u.username).toBe(`${bot.name}[deleted-bot-${bot.id.slice(0, 8)}]`);
      expectError(
        await login(t.baseUrl, u.username, 'whatever-password'),
        401,
        'INVALID_CREDENTIALS',
      );
      const members = await api('GET', `/api/rooms/${room.id}/members`, owner);
      expect(members.body.items.map((m: { userId: string }) => m.userId)).not.toContain(bot.userId);
      const history = await api('GET', `/api/rooms/${room.id}/messages`, owner);
      expect(history.body.items).toEqual([
        expect.objectContaining({
          id: said.body.id,
          userId: bot.userId,
          type: 'bot',
          content: 'last words',
        }),
      ]);
      expect((await sql(`SELECT 1 FROM bots WHERE id = $1`, [bot.id])).length).toBe(0);
      // The name can be used again.
      expect((await api('POST', '/api/bots', owner, { name: bot.name })).status).toBe(201);
    });
  });

  it('documents every bots endpoint in the OpenAPI document', async () => {
    const doc = await http(t.baseUrl, 'GET', '/docs-json');
    const paths = Object.keys(doc.body.paths);
    for (const p of [
      '/api/bots',
      '/api/bots/{id}',
      '/api/bots/{id}/token',
      '/api/bots/{id}/deliveries',
      '/api/rooms/{id}/bots/{botId}',
      '/api/bot/rooms/{id}/messages',
    ])
      expect(paths).toContain(p);
    const send = doc.body.paths['/api/bot/rooms/{id}/messages'].post;
    expect(Object.keys(send.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '404', '429']),
    );
    expect(JSON.stringify(doc.body.components.schemas.ErrorResponseDto)).toContain(
      'WEBHOOK_URL_REFUSED',
    );
  });
});

describe('the webhook network guard, on a real socket', () => {
  let receiver: WebhookReceiver;
  const net = (allowPrivate: 'none' | 'loopback') =>
    new WebhookNetwork({ allowPrivate, timeoutMs: 2000 } as BotsConfig);

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    receiver.answer = () => ({ status: 200 });
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('refuses to connect to a loopback host, by name (inside the lookup) or by address, unless allowed', async () => {
    for (const url of [
      `http://localhost:${receiver.port}/x`,
      `http://127.0.0.1:${receiver.port}/x`,
      `http://[::ffff:127.0.0.1]:${receiver.port}/x`,
    ]) {
      const err = await net('none')
        .post(url, '{}', {})
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(String((err as { code?: string })?.code ?? err)).toContain('WEBHOOK_URL_REFUSED');
    }
    expect(receiver.received).toHaveLength(0);
    // Allowed: it connects (the receiver answers 401 to the unsigned request, and records it).
    expect(await net('loopback').post(`http://localhost:${receiver.port}/x`, '{}', {})).toEqual({
      status: 401,
    });
    expect(receiver.received).toHaveLength(1);
  });

  it('gives up on a receiver that does not answer within the deadline', async () => {
    receiver.answer = () => 'hold';
    receiver.tokens.add('a-token');
    const ts = Math.floor(Date.now() / 1000);
    const signed = {
      'x-chat-timestamp': String(ts),
      'x-chat-signature': webhookSignature(sha256('a-token'), ts, '{}'),
    };
    const started = Date.now();
    const err = await net('loopback')
      .post(receiver.url('/slow'), '{}', signed)
      .then(
        () => null,
        (e: unknown) => e as Error,
      );
    expect(err?.message).toContain('timed out after 2000 ms');
    expect(Date.now() - started).toBeLessThan(4000);
    expect(receiver.heldCount).toBe(1);
    expect(receiver.badSignatures).toBe(1); // the unsigned request of the test before
    receiver.releaseHeld(200);
  });
});

describe('bots module with the default webhook policy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(enterpriseEnv(['FEATURE_BOT_MESSAGES']));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses loopback webhook URLs, by address or by name (400 WEBHOOK_URL_REFUSED)', async () => {
    const owner = await registerUser(t.baseUrl);
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://localhost:9/hook',
      'http://[::1]:9/hook',
    ]) {
      const res = await http(t.baseUrl, 'POST', '/api/bots', {
        token: owner.accessToken,
        body: { name: uniqueName('lo'), webhookUrl: url },
      });
      expectError(res, 400, 'WEBHOOK_URL_REFUSED');
    }
  });
});

describe('bots module off', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(coreEnv());
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 404 on every bots path', async () => {
    const u = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, u);
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['POST', '/api/bots'],
      ['GET', '/api/bots'],
      ['GET', `/api/bots/${id}`],
      ['POST', `/api/bots/${id}/token`],
      ['DELETE', `/api/bots/${id}`],
      ['POST', `/api/rooms/${room.id}/bots/${id}`],
      ['DELETE', `/api/rooms/${room.id}/bots/${id}`],
    ]) {
      const res = await http(t.baseUrl, method, path, {
        token: u.accessToken,
        body: method === 'GET' ? undefined : { name: 'abc' },
      });
      expect(res.status).toBe(404);
    }
    const bot = await http(t.baseUrl, 'POST', `/api/bot/rooms/${room.id}/messages`, {
      headers: { authorization: `Bot bot_${'0'.repeat(32)}.${'A'.repeat(43)}` },
      body: { content: 'x' },
    });
    expect(bot.status).toBe(404);
    const doc = await http(t.baseUrl, 'GET', '/docs-json');
    expect(Object.keys(doc.body.paths).some((p) => p.includes('bot'))).toBe(false);
  });

  it('has no bots tables in the core database', async () => {
    const tables = await tablesIn(process.env.CORE_DATABASE_URL!);
    expect(tables).toContain('users');
    expect(tables).not.toContain('bots');
    expect(tables).not.toContain('webhook_deliveries');
  });
});
