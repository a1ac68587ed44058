// Scheduled messages (contract v2): the author's create/list/patch/delete, every bad input
// refused with nothing stored, someone else's id answered as unknown, and delivery: at sendAt
// (within 2 s) an ordinary message of its author reaches subscribers as message.new; an author who
// left the room gets a failed row and no message; a sent or failed row can no longer be changed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createRoom,
  errorText,
  expectError,
  http,
  joinRoom,
  registerUser,
  sendMessage,
  withDb,
  type HttpResult,
  type TestUser,
} from '../support/http.js';
import { waitFor } from '../support/wait.js';
import { WsTestClient } from '../support/ws-client.js';

describe('scheduled messages', () => {
  let t: TestApp;
  const sockets: WsTestClient[] = [];
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULED_SENDER_ENABLED: 'true' });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t.close();
  });

  const ahead = (ms: number) => new Date(Date.now() + ms).toISOString();
  const schedule = (u: TestUser, roomId: string, body: unknown): Promise<HttpResult> =>
    http(t.baseUrl, 'POST', `/api/rooms/${roomId}/scheduled`, { token: u.accessToken, body });
  const list = (u: TestUser, query = ''): Promise<HttpResult> =>
    http(t.baseUrl, 'GET', `/api/users/me/scheduled${query}`, { token: u.accessToken });
  const patch = (u: TestUser, id: string, body: unknown): Promise<HttpResult> =>
    http(t.baseUrl, 'PATCH', `/api/scheduled/${id}`, { token: u.accessToken, body });
  const remove = (u: TestUser, id: string): Promise<HttpResult> =>
    http(t.baseUrl, 'DELETE', `/api/scheduled/${id}`, { token: u.accessToken });
  const stored = (userId: string) =>
    withDb(async (c) =>
      Number(
        (await c.query(`SELECT count(*) AS n FROM scheduled_messages WHERE user_id = $1`, [userId]))
          .rows[0].n,
      ),
    );
  /** Makes a row due now: for tests about what a send does, not about the clock. */
  const dueNow = (id: string) =>
    withDb((c) => c.query(`UPDATE scheduled_messages SET send_at = now() WHERE id = $1`, [id]));
  const itemOf = async (u: TestUser, id: string) =>
    ((await list(u, '?limit=200')).body.items as { id: string }[]).find((i) => i.id === id) as
      Record<string, unknown> | undefined;
  const roomWith = async (n: number) => {
    const users = await Promise.all(Array.from({ length: n }, () => registerUser(t.baseUrl)));
    const room = await createRoom(t.baseUrl, users[0]);
    for (const u of users.slice(1))
      expect((await joinRoom(t.baseUrl, u, room.id)).status).toBe(200);
    return { room: room as { id: string }, users };
  };
  const connect = async (u: TestUser, roomId: string) => {
    const ws = await WsTestClient.connect(t.wsUrl, { token: u.accessToken });
    sockets.push(ws);
    ws.send('room.subscribe', { roomId });
    await ws.waitFor((f) => f.event === 'room.subscribed' && f.data.roomId === roomId);
    return ws;
  };
  const history = async (u: TestUser, roomId: string) =>
    (
      await http(t.baseUrl, 'GET', `/api/rooms/${roomId}/messages?limit=200`, {
        token: u.accessToken,
      })
    ).body.items as { id: string; seq: number; content: string; userId: string }[];

  it('the author creates, lists, changes and deletes a scheduled message', async () => {
    const { room, users } = await roomWith(1);
    const [alice] = users;
    const sendAt = ahead(3600_000);
    const res = await schedule(alice, room.id, { content: 'standup in 5', sendAt });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ roomId: room.id, content: 'standup in 5', sendAt });
    expect(typeof res.body.id).toBe('string');
    expect(typeof res.body.createdAt).toBe('string');
    const id = res.body.id as string;

    const page = await list(alice);
    expect(page.status).toBe(200);
    expect(page.body).toEqual({
      items: [
        expect.objectContaining({
          id,
          roomId: room.id,
          content: 'standup in 5',
          sendAt,
          threadRootId: null,
          status: 'pending',
          messageId: null,
          messageSeq: null,
          failureCode: null,
          failureReason: null,
          finishedAt: null,
        }),
      ],
      nextCursor: null,
    });

    const later = ahead(7200_000);
    const changed = await patch(alice, id, { content: 'standup in 10', sendAt: later });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      id,
      content: 'standup in 10',
      sendAt: later,
      status: 'pending',
    });
    expect(await itemOf(alice, id)).toMatchObject({ content: 'standup in 10', sendAt: later });

    expect((await remove(alice, id)).status).toBe(204);
    expect((await list(alice)).body).toEqual({ items: [], nextCursor: null });
    expectError(await remove(alice, id), 404, 'SCHEDULED_MESSAGE_NOT_FOUND');
    expectError(await patch(alice, id, { content: 'x' }), 404, 'SCHEDULED_MESSAGE_NOT_FOUND');
  });

  it('lists are keyset-paginated by sendAt', async () => {
    const { room, users } = await roomWith(1);
    const [alice] = users;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (await schedule(alice, room.id, { content: `m${i}`, sendAt: ahead(3600_000 + i * 1000) }))
          .body.id,
      );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: HttpResult = await list(alice, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    expectError(await list(alice, '?limit=201'), 400, 'VALIDATION_FAILED');
    expectError(await list(alice, '?cursor=nope'), 400, 'VALIDATION_FAILED');
  });

  it('refuses every bad input with a 400 naming the field, and stores nothing', async () => {
    const { room, users } = await roomWith(1);
    const [alice] = users;
    const root = (await sendMessage(t.baseUrl, alice, room.id, { content: 'root' })).body;
    const reply = (
      await http(t.baseUrl, 'POST', `/api/rooms/${room.id}/messages`, {
        token: alice.accessToken,
        body: { content: 'reply', threadRootId: root.id },
      })
    ).body;
    expect(reply.threadRootId).toBe(root.id);
    const ok = { content: 'hi', sendAt: ahead(3600_000) };
    const rows: [string, Record<string, unknown>, string, RegExp][] = [
      ['sendAt in the past', { ...ok, sendAt: ahead(-60_000) }, 'SEND_AT_OUT_OF_RANGE', /sendAt/],
      ['sendAt 5 s ahead', { ...ok, sendAt: ahead(5000) }, 'SEND_AT_OUT_OF_RANGE', /sendAt/],
      [
        'sendAt over a year ahead',
        { ...ok, sendAt: ahead(366 * 24 * 3600_000) },
        'SEND_AT_OUT_OF_RANGE',
        /sendAt/,
      ],
      ['sendAt not a date', { ...ok, sendAt: 'tomorrow at noon' }, 'VALIDATION_FAILED', /sendAt/],
      [
        'sendAt an impossible date',
        { ...ok, sendAt: '2031-02-31T10:00:00Z' },
        'VALIDATION_FAILED',
        /sendAt/,
      ],
      ['sendAt a number', { ...ok, sendAt: Date.now() + 3600_000 }, 'VALIDATION_FAILED', /sendAt/],
      ['sendAt missing', { content: 'hi' }, 'VALIDATION_FAILED', /sendAt/],
      ['content empty', { ...ok, content: '' }, 'VALIDATION_FAILED', /content/],
      ['content blank', { ...ok, content: '   ' }, 'VALIDATION_FAILED', /content/],
      ['content too long', { ...ok, content: 'x'.repeat(4001) }, 'VALIDATION_FAILED', /content/],
      ['content missing', { sendAt: ok.sendAt }, 'VALIDATION_FAILED', /content/],
      [
        'threadRootId not a UUID',
        { ...ok, threadRootId: 'nope' },
        'VALIDATION_FAILED',
        /threadRootId/,
      ],
      [
        'threadRootId unknown',
        { ...ok, threadRootId: randomUUID() },
        'THREAD_ROOT_INVALID',
        /threadRootId/,
      ],
      [
        'threadRootId a reply',
        { ...ok, threadRootId: reply.id },
        'THREAD_ROOT_INVALID',
        /threadRootId/,
      ],
      ['an unknown field', { ...ok, type: 'bot' }, 'VALIDATION_FAILED', /type/],
    ];
    for (const [what, body, code, field] of rows) {
      const res = await schedule(alice, room.id, body);
      try {
        expectError(res, 400, code);
        expect(errorText(res)).toMatch(field);
      } catch (err) {
        throw new Error(`${what}: ${String(err)}`, { cause: err });
      }
    }
    expectError(await schedule(alice, randomUUID(), ok), 404, 'ROOM_NOT_FOUND');
    expectError(await schedule(alice, 'not-a-uuid', ok), 400, 'VALIDATION_FAILED');
    expect(await stored(alice.id)).toBe(0);

    // PATCH with bad input changes nothing.
    const id = (await schedule(alice, room.id, ok)).body.id as string;
    expectError(await patch(alice, id, { sendAt: ahead(1000) }), 400, 'SEND_AT_OUT_OF_RANGE');
    expectError(await patch(alice, id, { content: '' }), 400, 'VALIDATION_FAILED');
    for (const body of [{ content: null }, { sendAt: null }, { sendAt: 'later' }, { content: 7 }]) {
      const res = await patch(alice, id, body);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(errorText(res)).toMatch(Object.keys(body)[0]);
    }
    expectError(await patch(alice, id, { threadRootId: reply.id }), 400, 'THREAD_ROOT_INVALID');
    expect(await itemOf(alice, id)).toMatchObject({
      content: 'hi',
      sendAt: ok.sendAt,
      threadRootId: null,
    });
  });

  it('a root of another room is refused as a thread root', async () => {
    const { room, users } = await roomWith(1);
    const [alice] = users;
    const { room: other } = await roomWith(1);
    expect((await joinRoom(t.baseUrl, alice, other.id)).status).toBe(200);
    const elsewhere = (await sendMessage(t.baseUrl, alice, other.id, { content: 'x' })).body;
    const res = await schedule(alice, room.id, {
      content: 'hi',
      sendAt: ahead(3600_000),
      threadRootId: elsewhere.id,
    });
    expectError(res, 400, 'THREAD_ROOT_INVALID');
    expect(await stored(alice.id)).toBe(0);
  });

  it("someone else's scheduled message is unknown to them: 404, and not listed", async () => {
    const { room, users } = await roomWith(2);
    const [alice, bob] = users;
    const id = (await schedule(alice, room.id, { content: 'mine', sendAt: ahead(3600_000) })).body
      .id as string;
    expectError(await patch(bob, id, { content: 'yours now' }), 404, 'SCHEDULED_MESSAGE_NOT_FOUND');
    expectError(await remove(bob, id), 404, 'SCHEDULED_MESSAGE_NOT_FOUND');
    expect((await list(bob)).body.items).toEqual([]);
    expect(await itemOf(alice, id)).toMatchObject({ content: 'mine', status: 'pending' });
  });

  it('at sendAt it becomes an ordinary message of its author, within 2 s: seq, mentions, thread, then 409', async () => {
    const { room, users } = await roomWith(2);
    const [alice, bob] = users;
    const root = (await sendMessage(t.baseUrl, alice, room.id, { content: 'thread root' })).body;
    const ws = await connect(bob, room.id);
    const sendAt = ahead(10_500);
    const plain = await schedule(alice, room.id, {
      content: `good morning @${bob.username}`,
      sendAt,
    });
    const threaded = await schedule(alice, room.id, {
      content: 'in the thread',
      sendAt,
      threadRootId: root.id,
    });
    expect([plain.status, threaded.status]).toEqual([201, 201]);
    // The author cannot take the scheduled send's clientMsgId first (it would count as sent).
    const taken = await sendMessage(t.baseUrl, alice, room.id, {
      content: 'not the scheduled text',
      clientMsgId: `scheduled/${plain.body.id}`,
    });
    expect(taken.status).toBe(400);

    const f = await ws.waitFor(
      (x) => x.event === 'message.new' && x.data.content === `good morning @${bob.username}`,
      20_000,
    );
    const late = Date.now() - Date.parse(sendAt);
    expect(late).toBeLessThan(2000);
    expect(f.data).toMatchObject({
      roomId: room.id,
      userId: alice.id,
      username: alice.username,
      type: 'text',
      seq: root.seq + 1,
      mentions: [bob.id],
      clientMsgId: `scheduled/${plain.body.id}`,
      threadRootId: null,
    });
    expect(typeof f.data.eventSeq).toBe('number');
    const r = await ws.waitFor(
      (x) => x.event === 'message.new' && x.data.content === 'in the thread',
    );
    expect(r.data).toMatchObject({ userId: alice.id, threadRootId: root.id, seq: root.seq + 2 });

    // Listed as sent, with the message it became.
    await waitFor(async () => (await itemOf(alice, threaded.body.id))?.status === 'sent', 'sent');
    expect(await itemOf(alice, plain.body.id)).toMatchObject({
      status: 'sent',
      messageId: f.data.id,
      messageSeq: f.data.seq,
      failureCode: null,
    });
    expect(typeof (await itemOf(alice, plain.body.id))?.finishedAt).toBe('string');
    // The mention counts for bob; the author's own marker moved as with any send.
    const rooms = await http(t.baseUrl, 'GET', '/api/users/me/rooms?limit=200', {
      token: bob.accessToken,
    });
    expect(rooms.body.items.find((i: { id: string }) => i.id === room.id)).toMatchObject({
      mentionCount: 1,
    });
    // Once, in history.
    const msgs = await history(bob, room.id);
    expect(msgs.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(msgs.filter((m) => m.content === `good morning @${bob.username}`)).toHaveLength(1);

    expectError(
      await patch(alice, plain.body.id, { content: 'too late' }),
      409,
      'SCHEDULED_MESSAGE_SENT',
    );
    expectError(await remove(alice, plain.body.id), 409, 'SCHEDULED_MESSAGE_SENT');
  });

  it('an author who left the room by then: failed, listed with the reason, and no message', async () => {
    const { room, users } = await roomWith(2);
    const [owner, carol] = users;
    const ws = await connect(owner, room.id);
    const id = (await schedule(carol, room.id, { content: 'still here?', sendAt: ahead(3600_000) }))
      .body.id as string;
    expect(
      (await http(t.baseUrl, 'POST', `/api/rooms/${room.id}/leave`, { token: carol.accessToken }))
        .status,
    ).toBe(204);
    await dueNow(id);
    const item = await waitFor(async () => {
      const i = await itemOf(carol, id);
      return i?.status === 'failed' ? i : null;
    }, 'the scheduled message to fail');
    expect(item).toMatchObject({
      status: 'failed',
      messageId: null,
      messageSeq: null,
      failureCode: 'NOT_ROOM_MEMBER',
    });
    expect(typeof item.failureReason).toBe('string');
    await ws.roundTrip();
    expect(ws.frames.filter((f) => f.event === 'message.new')).toEqual([]);
    expect((await history(owner, room.id)).filter((m) => m.content === 'still here?')).toEqual([]);
    expectError(await patch(carol, id, { content: 'x' }), 409, 'SCHEDULED_MESSAGE_FAILED');
    expectError(await remove(carol, id), 409, 'SCHEDULED_MESSAGE_FAILED');
  });

  it('OpenAPI documents the routes, the status fields and the codes', async () => {
    const doc = (await http(t.baseUrl, 'GET', '/docs-json')).body;
    expect(Object.keys(doc.paths['/api/rooms/{id}/scheduled'])).toEqual(['post']);
    expect(Object.keys(doc.paths['/api/users/me/scheduled'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/api/scheduled/{id}']).sort()).toEqual(['delete', 'patch']);
    const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
    const ops: [string, string, string | null, string, string | null, string[]][] = [
      [
        '/api/rooms/{id}/scheduled',
        'post',
        'CreateScheduledMessageDto',
        '201',
        'ScheduledMessageDto',
        ['400', '401', '403', '404', '413', '429'],
      ],
      [
        '/api/users/me/scheduled',
        'get',
        null,
        '200',
        'ScheduledMessagePageDto',
        ['400', '401', '429'],
      ],
      [
        '/api/scheduled/{id}',
        'patch',
        'UpdateScheduledMessageDto',
        '200',
        'ScheduledMessageDto',
        ['400', '401', '404', '409', '413', '429'],
      ],
      ['/api/scheduled/{id}', 'delete', null, '204', null, ['400', '401', '404', '409', '429']],
    ];
    for (const [path, method, body, ok, answer, errors] of ops) {
      const op = doc.paths[path][method];
      if (body) expect(op.requestBody.content['application/json'].schema).toEqual(ref(body));
      if (answer) expect(op.responses[ok].content['application/json'].schema).toEqual(ref(answer));
      else expect(op.responses[ok]).toBeDefined();
      expect(
        Object.keys(op.responses)
          .filter((st) => Number(st) >= 400)
          .sort(),
      ).toEqual(errors);
      for (const st of errors)
        expect(op.responses[st].content['application/json'].schema).toEqual(
          ref('ErrorResponseDto'),
        );
      expect(op.security).toEqual([{ bearer: [] }]);
    }
    const codeEnum = doc.components.schemas.ErrorResponseDto.properties.code.enum as string[];
    for (const code of [
      'SCHEDULED_MESSAGE_NOT_FOUND',
      'SEND_AT_OUT_OF_RANGE',
      'SCHEDULED_MESSAGE_SENT',
      'SCHEDULED_MESSAGE_FAILED',
      'SCHEDULED_MESSAGE_SENDING',
    ])
      expect(codeEnum).toContain(code);
    const props = doc.components.schemas.ScheduledMessageDto.properties;
    expect(props.status.enum).toEqual(['pending', 'sent', 'failed']);
    for (const f of ['messageId', 'messageSeq', 'failureCode', 'failureReason', 'finishedAt'])
      expect(props[f]).toBeDefined();
    const conflicts = Object.keys(
      doc.paths['/api/scheduled/{id}'].patch.responses['409'].content['application/json'].examples,
    ).sort();
    expect(conflicts).toEqual([
      'SCHEDULED_MESSAGE_FAILED',
      'SCHEDULED_MESSAGE_SENDING',
      'SCHEDULED_MESSAGE_SENT',
    ]);
  });
});
