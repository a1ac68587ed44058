// The SDK against the real service: tokens, two clients talking, a network that drops in the
// middle of sends, a service killed and restarted in the middle of sends, and resuming a room by
// afterEventSeq after being away while messages were edited, deleted and reacted to.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Ack, ChatClient, MessageView, ServerEvents } from '../../packages/sdk/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { uniqueName } from '../support/http.js';
import { newJwtSecret, startService, type ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { newClient, signUp, TcpProxy, whenOpen } from './support.js';

let t: TestApp;
const clients: ChatClient[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  t = await startTestApp({ JWT_ACCESS_TTL_SEC: '30' });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await t?.close();
});

function track(c: ChatClient): ChatClient {
  clients.push(c);
  return c;
}

async function newRoom(owner: ChatClient): Promise<string> {
  const { data, error } = await owner.api.POST('/api/rooms', {
    body: { name: uniqueName('sdkroom'), isPrivate: false },
  });
  if (!data) throw new Error(`create room: ${JSON.stringify(error)}`);
  return (data as { id: string }).id;
}

async function join(member: ChatClient, roomId: string): Promise<void> {
  const { response } = await member.api.POST('/api/rooms/{id}/join', {
    params: { path: { id: roomId } },
    body: {},
  });
  expect(response.status).toBe(200);
}

/** Every message.new a client receives for a room, in arrival order. */
function collect(c: ChatClient, roomId: string): MessageView[] {
  const got: MessageView[] = [];
  c.on('message.new', (m) => {
    if (m.roomId === roomId) got.push(m);
  });
  return got;
}

/** The room's stored history (REST), oldest first. */
async function history(c: ChatClient, roomId: string): Promise<{ seq: number; content: string }[]> {
  const { data } = await c.api.GET('/api/rooms/{id}/messages', {
    params: { path: { id: roomId }, query: { limit: 200 } },
  });
  const items = (data as unknown as { items: { seq: number; content: string }[] }).items;
  return [...items].sort((a, b) => a.seq - b.seq);
}

const texts = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);

describe('auth', () => {
  it('signs up, logs in, and refreshes the rotating token pair before the access token expires', async () => {
    // TTL 30 s with a 27 s skew: the client refreshes about 3 s after logging in, by itself.
    const a = track(newClient(t.baseUrl, { refreshSkewMs: 27_000 }));
    const { username, password } = await signUp(a);
    const b = track(newClient(t.baseUrl, { refreshSkewMs: 27_000 }));
    const first = await b.login({ login: username, password });
    expect(first.user.username).toBe(username);

    const sessions: string[] = [];
    b.on('session', ({ session }) => session && sessions.push(session.refreshToken));
    await waitFor(() => sessions.length >= 1, 'the scheduled refresh', { timeoutMs: 15_000 });
    const now = b.session!;
    expect(now.refreshToken).not.toBe(first.refreshToken);
    expect(now.accessToken).not.toBe(first.accessToken);

    // The new pair works; the spent refresh token does not.
    const me = await b.api.GET('/api/users/me');
    expect(me.response.status).toBe(200);
    const spent = await fetch(`${t.baseUrl}/api/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: first.refreshToken }),
    });
    expect(spent.status).toBe(401);

    // A wrong password is the service's 401 as an ApiError.
    await expect(
      track(newClient(t.baseUrl)).login({ login: username, password: 'wrong password!' }),
    ).rejects.toMatchObject({ status: 401 });
  }, 30_000);
});

describe('messaging', () => {
  it('two clients: sends are acknowledged and reach both subscribers in seq order', async () => {
    const alice = track(newClient(t.baseUrl));
    const bob = track(newClient(t.baseUrl));
    await signUp(alice);
    await signUp(bob);
    const roomId = await newRoom(alice);
    await join(bob, roomId);
    const toBob = collect(bob, roomId);
    const toAlice = collect(alice, roomId);
    const subscribed = new Promise<ServerEvents['room.subscribed']>((r) =>
      bob.on('room.subscribed', r),
    );
    alice.subscribe(roomId);
    bob.subscribe(roomId);
    alice.connect();
    bob.connect();
    await subscribed;
    await whenOpen(alice);

    const typing = new Promise<ServerEvents['typing']>((r) => bob.on('typing', r));
    alice.typing(roomId);
    expect((await typing).roomId).toBe(roomId);

    const acks = await Promise.all(texts(5, 'hello').map((c) => alice.send(roomId, c)));
    expect(acks.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5]);
    await waitFor(() => toBob.length === 5 && toAlice.length === 5, 'both to get 5 messages');
    expect(toBob.map((m) => m.content)).toEqual(texts(5, 'hello'));

    // Read markers: bob reads up to 3 and hears about it.
    const read = new Promise<ServerEvents['read.updated']>((r) => bob.on('read.updated', r));
    await bob.markRead(roomId, 3);
    expect(await read).toMatchObject({ roomId, lastReadSeq: 3, unreadCount: 2 });
    expect(alice.pending()).toEqual([]);
  });

  it('uploads a file and sends it: the other client gets the attachment with a URL that serves those bytes', async () => {
    const alice = track(newClient(t.baseUrl));
    const bob = track(newClient(t.baseUrl));
    await signUp(alice);
    await signUp(bob);
    const roomId = await newRoom(alice);
    await join(bob, roomId);
    const toBob = collect(bob, roomId);
    const subscribed = new Promise((r) => bob.on('room.subscribed', r));
    bob.subscribe(roomId);
    alice.connect();
    bob.connect();
    await subscribed;
    await whenOpen(alice);

    const bytes = new TextEncoder().encode('a small text file\n'.repeat(100));
    const id = await alice.upload(roomId, {
      filename: 'notes.txt',
      contentType: 'text/plain',
      body: bytes,
    });
    await alice.send(roomId, 'see the notes', { attachmentIds: [id] });
    await waitFor(() => toBob.length === 1, 'bob to get the message');
    const [att] = toBob[0].attachments;
    expect(att).toMatchObject({ id, filename: 'notes.txt', contentType: 'text/plain', size: 1800 });
    const res = await fetch(new URL(att.url!, t.baseUrl));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    // A declared size the body does not have is refused, with the server's code.
    await expect(
      alice.upload(roomId, {
        filename: 'x.bin',
        contentType: 'application/octet-stream',
        body: new Blob(['']),
      }),
    ).rejects.toMatchObject({ status: 400, code: 'ATTACHMENT_SIZE_INVALID' });
  });

  it('a network drop in the middle of sends: nothing lost, nothing doubled, order kept', async () => {
    const proxy = await TcpProxy.start(Number(new URL(t.baseUrl).port));
    proxies.push(proxy);
    const alice = track(newClient(proxy.url)); // behind the flaky network
    const bob = track(newClient(t.baseUrl));
    await signUp(alice);
    await signUp(bob);
    const roomId = await newRoom(alice);
    await join(bob, roomId);
    const toBob = collect(bob, roomId);
    bob.subscribe(roomId);
    bob.connect();
    alice.connect();
    await Promise.all([whenOpen(alice), whenOpen(bob)]);

    let opens = 0;
    alice.on('state', (s) => s.state === 'open' && opens++);
    const contents = texts(40, 'drop');
    const acks: Promise<Ack>[] = [];
    const settled: Ack[] = [];
    let unackedAtDrops = 0;
    for (let i = 0; i < contents.length; i++) {
      // Cut the network twice with some sends acknowledged and others stored by the server but
      // their acks lost (no close frame reaches either side); the second cut lands on the
      // connection the first one led to. Replies are held from three sends before each cut, so
      // those three are stored and unacknowledged however fast or slow the machine is.
      if (i === 10 || i === 25) {
        if (i === 25) await waitFor(() => opens >= 1, 'alice to reconnect after the first cut');
        await waitFor(() => settled.length >= i - 5, `${i - 5} acks`);
        proxy.holdReplies();
      }
      acks.push(alice.send(roomId, contents[i]).then((a) => (settled.push(a), a)));
      // Let the frames go out a few at a time, so acks come back while later sends are in flight.
      if (i % 3 === 2) await new Promise((r) => setImmediate(r));
      if (i === 12 || i === 27) {
        await waitFor(() => toBob.length >= i + 1, `bob to receive ${i + 1} messages`);
        unackedAtDrops += alice.pending().length;
        proxy.dropAll();
      }
    }
    const acked = await Promise.all(acks);
    expect(opens).toBe(2); // one new connection after each cut
    expect(unackedAtDrops).toBeGreaterThanOrEqual(6); // three held at each cut
    expect(acked.map((a) => a.seq)).toEqual(contents.map((_, i) => i + 1));

    const stored = await history(bob, roomId);
    expect(stored.map((m) => m.content)).toEqual(contents);
    await waitFor(() => toBob.length >= 40, 'bob to receive all 40', { timeoutMs: 15_000 });
    expect(toBob.map((m) => m.content)).toEqual(contents);
  }, 60_000);

  it('resumes a room by afterEventSeq: edits, deletions and reactions missed while away arrive once', async () => {
    const proxy = await TcpProxy.start(Number(new URL(t.baseUrl).port));
    proxies.push(proxy);
    const alice = track(newClient(t.baseUrl));
    const bob = track(newClient(proxy.url));
    await signUp(alice);
    await signUp(bob);
    const roomId = await newRoom(alice);
    await join(bob, roomId);
    const events: string[] = [];
    for (const e of ['message.new', 'message.edited', 'message.deleted', 'reaction.added'] as const)
      bob.on(e, (d) => d.roomId === roomId && events.push(`${e}#${d.eventSeq}`));
    bob.subscribe(roomId);
    bob.connect();
    alice.connect();
    await Promise.all([whenOpen(alice), whenOpen(bob)]);
    await waitFor(() => bob.cursor(roomId) !== undefined, 'bob to be subscribed');

    const [m1, m2] = await Promise.all([alice.send(roomId, 'one'), alice.send(roomId, 'two')]);
    await waitFor(() => events.length === 2, 'bob to get both messages');
    const before = bob.cursor(roomId)!;

    // Bob is cut off; meanwhile alice edits, deletes, reacts and writes.
    proxy.setDown(true);
    await waitFor(() => bob.state === 'reconnecting', 'bob to notice');
    const path = { id: roomId, messageId: m1.id };
    expect(
      (
        await alice.api.PATCH('/api/rooms/{id}/messages/{messageId}', {
          params: { path },
          body: { content: 'one, edited' },
        })
      ).response.status,
    ).toBe(200);
    expect(
      (
        await alice.api.PUT('/api/rooms/{id}/messages/{messageId}/reactions/{emoji}', {
          params: { path: { ...path, emoji: '👍' } },
        })
      ).response.status,
    ).toBe(204);
    expect(
      (
        await alice.api.DELETE('/api/rooms/{id}/messages/{messageId}', {
          params: { path: { id: roomId, messageId: m2.id } },
        })
      ).response.status,
    ).toBe(204);
    await alice.send(roomId, 'three');

    const edited = new Promise<ServerEvents['message.edited']>((r) => bob.on('message.edited', r));
    proxy.setDown(false);
    expect((await edited).content).toBe('one, edited');
    await waitFor(() => events.length === 6, 'bob to catch up on 4 events', {
      timeoutMs: 15_000,
      describe: () => events.join(', '),
    });
    expect(events.slice(2)).toEqual([
      `message.edited#${before + 1}`,
      `reaction.added#${before + 2}`,
      `message.deleted#${before + 3}`,
      `message.new#${before + 4}`,
    ]);
    expect(bob.cursor(roomId)).toBe(before + 4);
  }, 60_000);
});

describe('a server that drops sends over its frame rate limit', () => {
  let limited: TestApp;
  beforeAll(async () => {
    // 5 frames a second with a bucket of 10: a burst of 20 sends loses 10 without an answer
    // each (the server says RATE_LIMITED once, naming no send).
    limited = await startTestApp({ RATE_LIMIT_WS_PER_SEC: '5', RATE_LIMIT_WS_BURST: '10' });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('writes a send left without an answer again until it is acknowledged: each stored once', async () => {
    const alice = track(newClient(limited.baseUrl, { resendAfterMs: 1_000 }));
    await signUp(alice);
    const roomId = await newRoom(alice);
    alice.connect();
    await whenOpen(alice);
    const refusals: string[] = [];
    alice.on('error', (e) => refusals.push(e.code));
    let opens = 0;
    alice.on('state', (s) => s.state === 'open' && opens++);

    const contents = texts(20, 'limited');
    const acked = await Promise.all(contents.map((c) => alice.send(roomId, c)));
    expect(refusals).toContain('RATE_LIMITED'); // the server did drop some
    expect(opens).toBe(0); // written again on the same connection, not after a reconnect
    expect(alice.pending()).toEqual([]);
    expect(new Set(acked.map((a) => a.seq))).toEqual(new Set(contents.map((_, i) => i + 1)));

    const stored = await history(alice, roomId);
    expect(stored).toHaveLength(20);
    expect(stored.map((m) => m.content).sort()).toEqual([...contents].sort());
  }, 60_000);
});

describe('a service restarted in the middle of sends', () => {
  let svc: ServiceProcess | undefined;
  afterAll(async () => {
    await svc?.stop().catch(() => svc?.kill());
  });

  it('kills the service process (SIGKILL) and starts a new one on the same database: every send stored once, in order', async () => {
    const jwtSecret = newJwtSecret();
    const opts = {
      brokers: '',
      topic: 'unused',
      jwtSecret,
      env: { KAFKA_BROKERS: undefined, KAFKA_TOPIC: undefined },
    };
    svc = await startService({ name: 'sdk-restart-1', ...opts });
    const proxy = await TcpProxy.start(svc.port);
    proxies.push(proxy);
    const alice = track(newClient(proxy.url));
    const bob = track(newClient(proxy.url));
    await signUp(alice);
    await signUp(bob);
    const roomId = await newRoom(alice);
    await join(bob, roomId);
    const toBob = collect(bob, roomId);
    bob.subscribe(roomId);
    bob.connect();
    alice.connect();
    await Promise.all([whenOpen(alice), whenOpen(bob)]);

    const contents = texts(30, 'restart');
    const acks: Promise<Ack>[] = [];
    const settled: Ack[] = [];
    for (let i = 0; i < 15; i++)
      acks.push(alice.send(roomId, contents[i]).then((a) => (settled.push(a), a)));
    await waitFor(() => settled.length >= 5, 'the first acks');
    await svc.kill(); // mid-flight: some of the 15 are stored, some acked, some neither
    for (let i = 15; i < 30; i++) acks.push(alice.send(roomId, contents[i])); // while it is down
    expect(alice.pending().length).toBeGreaterThan(0);

    svc = await startService({ name: 'sdk-restart-2', ...opts });
    proxy.retarget(svc.port);
    const acked = await Promise.all(acks);
    expect(acked.map((a) => a.seq)).toEqual(contents.map((_, i) => i + 1));

    const stored = await history(alice, roomId);
    expect(stored.map((m) => m.content)).toEqual(contents);
    // Bob resumed by afterEventSeq: each message exactly once, in order.
    await waitFor(() => toBob.length >= 30, 'bob to receive all 30', {
      timeoutMs: 20_000,
      describe: () => `${toBob.length}`,
    });
    expect(toBob.map((m) => m.content)).toEqual(contents);
  }, 120_000);
});
