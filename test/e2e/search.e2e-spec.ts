import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createRoom,
  errorText,
  expectError,
  http,
  joinRoom,
  registerUser,
  sendMessage,
  type TestUser,
} from '../support/http.js';
import { queryDb } from '../support/ws-client.js';

interface Hit {
  message: { id: string; roomId: string; seq: number; content: string; deleted: boolean };
  highlight: { text: string; ranges: { start: number; end: number }[] };
}

/** A word no other test's message has: tests share the database. */
const token = () => `zq${randomUUID().replace(/-/g, '').slice(0, 10)}`;

describe('GET /api/search/messages', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const search = (u: TestUser | null, query: Record<string, string | number>) =>
    http<{ items: Hit[]; nextCursor: string | null }>(
      t.baseUrl,
      'GET',
      `/api/search/messages?${new URLSearchParams(
        Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
      ).toString()}`,
      u ? { token: u.accessToken } : {},
    );
  const found = async (u: TestUser, q: string, extra: Record<string, string> = {}) => {
    const res = await search(u, { q, ...extra });
    expect(res.status).toBe(200);
    return res.body.items.map((h) => h.message.content);
  };
  const send = async (u: TestUser, roomId: string, content: string) => {
    const res = await sendMessage(t.baseUrl, u, roomId, { content });
    expect(res.status).toBe(201);
    return res.body as { id: string; seq: number };
  };
  const setup = async () => {
    const alice = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, alice);
    return { alice, room: room as { id: string } };
  };

  it('finds words, substrings and short words at once after the send, with a highlight', async () => {
    const { alice, room } = await setup();
    const w = token();
    await send(alice, room.id, `Deploying ${w} to production, go!`);
    await send(alice, room.id, `nothing to see here`);
    // Findable as soon as the send is acknowledged: no waiting.
    const res = await search(alice, { q: w.toUpperCase() });
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    const [hit] = res.body.items;
    expect(hit.message).toMatchObject({
      roomId: room.id,
      content: `Deploying ${w} to production, go!`,
    });
    expect(hit.highlight.text).toBe(hit.message.content);
    expect(hit.highlight.ranges.map((r) => hit.highlight.text.slice(r.start, r.end))).toEqual([w]);
    expect(res.body.nextCursor).toBeNull();

    expect(await found(alice, `ploy ${w.slice(2, 8)}`)).toHaveLength(1); // substrings, AND
    expect(await found(alice, `${w} go`)).toHaveLength(1); // a short whole word
    expect(await found(alice, `${w} ng`)).toHaveLength(0); // a short word is not a substring
    expect(await found(alice, `${w} staging`)).toHaveLength(0); // every term must be there
  });

  it('finds Chinese and Japanese text without spaces by substring, short ones included', async () => {
    const { alice, room } = await setup();
    const w = token();
    await send(alice, room.id, `${w} 我们今天去东京吃饭`);
    await send(alice, room.id, `${w} 明日は東京タワーに行きます`);
    await send(alice, room.id, `${w} 昨天下雨了`);
    expect(await found(alice, `${w} 今天`)).toEqual([`${w} 我们今天去东京吃饭`]);
    expect(await found(alice, `${w} 去东京`)).toEqual([`${w} 我们今天去东京吃饭`]);
    expect(await found(alice, `${w} 東京タワー`)).toEqual([`${w} 明日は東京タワーに行きます`]);
    expect(await found(alice, `${w} 天`)).toEqual([`${w} 昨天下雨了`, `${w} 我们今天去东京吃饭`]);
    // Without the marker word too (the caller's rooms only hold these).
    expect(await found(alice, '东京吃')).toEqual([`${w} 我们今天去东京吃饭`]);
    const [hit] = (await search(alice, { q: '今天' })).body.items;
    expect(hit.highlight.ranges.map((r) => hit.highlight.text.slice(r.start, r.end))).toEqual([
      '今天',
    ]);
  });

  it('terms no index serves read one bounded window per page, and the cursor goes on past it', async () => {
    const { alice, room } = await setup();
    const oldest = await send(alice, room.id, '很久以前下雪了');
    // 6,000 newer messages (more than one window of 5,000), none with the term: seeded in SQL.
    await queryDb(
      `WITH s AS (UPDATE rooms SET last_seq = last_seq + 6000, last_event_seq = last_event_seq + 6000
                   WHERE id = $1 RETURNING last_seq, last_event_seq)
       INSERT INTO messages (room_id, seq, event_seq, user_id, content, type, created_at)
       SELECT $1, s.last_seq - 6000 + g, s.last_event_seq - 6000 + g, $2, 'filler ' || g, 'text',
              clock_timestamp() + g * interval '1 millisecond'
         FROM s, generate_series(1, 6000) g`,
      [room.id, alice.id],
    );
    // '下雪' (2 characters, no spaces around): neither trigrams nor words index it. The first
    // page reads the newest 5,000 messages, finds nothing there, and says where to go on.
    const first = await search(alice, { q: '下雪' });
    expect(first.status).toBe(200);
    expect(first.body.items).toEqual([]);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await search(alice, { q: '下雪', cursor: first.body.nextCursor! });
    expect(second.status).toBe(200);
    expect(second.body.items.map((h) => h.message.id)).toEqual([oldest.id]);
    expect(second.body.nextCursor).toBeNull();
    // With a term an index serves, the same message is found on the first page.
    expect(await found(alice, '很久以前 下雪')).toEqual(['很久以前下雪了']);
  });

  it('finds accented text by its accents, case-insensitively (no accent folding)', async () => {
    const { alice, room } = await setup();
    const w = token();
    await send(alice, room.id, `${w} Rendez-vous au CAFÉ à Zürich`);
    expect(await found(alice, `${w} café zürich`)).toHaveLength(1);
    expect(await found(alice, `${w} cafe\u0301`)).toHaveLength(1); // NFD query, NFC text
    expect(await found(alice, `${w} zurich`)).toHaveLength(0);
  });

  it('answers newest first in keyset pages, no duplicates, no gaps, across rooms', async () => {
    const { alice, room } = await setup();
    const other = await createRoom(t.baseUrl, alice);
    const w = token();
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) {
      const content = `${w} number ${i}`;
      await send(alice, i % 2 ? room.id : other.id, content);
      sent.push(content);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await search(alice, { q: w, limit: 3, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items.map((h) => h.message.content));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...sent].reverse());
    // The default page size is 50, and more than 200 is refused.
    expect((await search(alice, { q: w })).body.items).toHaveLength(7);
  });

  it('only rooms the caller is a member of now: a room left is not searched any more', async () => {
    const { alice, room } = await setup();
    const bob = await registerUser(t.baseUrl);
    const w = token();
    await send(alice, room.id, `${w} before bob`);
    expect(await found(bob, w)).toEqual([]); // not a member (public room)
    expect((await joinRoom(t.baseUrl, bob, room.id)).status).toBe(200);
    expect(await found(bob, w)).toEqual([`${w} before bob`]); // history of a room joined
    expect(
      (await http(t.baseUrl, 'POST', `/api/rooms/${room.id}/leave`, { token: bob.accessToken }))
        .status,
    ).toBe(204);
    expect(await found(bob, w)).toEqual([]);
    expectError(await search(bob, { q: w, roomId: room.id }), 403, 'NOT_ROOM_MEMBER');
  });

  it('roomId: only that room; a room the caller may not see answers like the room routes', async () => {
    const { alice, room } = await setup();
    const other = await createRoom(t.baseUrl, alice);
    const w = token();
    await send(alice, room.id, `${w} in the first room`);
    await send(alice, other.id, `${w} in the other room`);
    expect(await found(alice, w, { roomId: room.id })).toEqual([`${w} in the first room`]);
    expect(await found(alice, w, { roomId: other.id })).toEqual([`${w} in the other room`]);
    const eve = await registerUser(t.baseUrl);
    const secret = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'pw-12345' });
    await send(alice, secret.id, `${w} private`);
    expectError(await search(eve, { q: w, roomId: secret.id }), 404, 'ROOM_NOT_FOUND');
    expectError(await search(eve, { q: w, roomId: randomUUID() }), 404, 'ROOM_NOT_FOUND');
    expect(await found(eve, w)).toEqual([]);
  });

  it('never a deleted message; an edited one by its new text only', async () => {
    const { alice, room } = await setup();
    const [gone, old, fresh] = [token(), token(), token()];
    const del = await send(alice, room.id, `${gone} will be deleted`);
    const edit = await send(alice, room.id, `${old} first words`);
    expect(await found(alice, gone)).toHaveLength(1);
    expect(
      (
        await http(t.baseUrl, 'DELETE', `/api/rooms/${room.id}/messages/${del.id}`, {
          token: alice.accessToken,
        })
      ).status,
    ).toBe(204);
    expect(await found(alice, gone)).toEqual([]);
    expect(await found(alice, 'deleted')).toEqual([]);

    const patched = await http(t.baseUrl, 'PATCH', `/api/rooms/${room.id}/messages/${edit.id}`, {
      token: alice.accessToken,
      body: { content: `${fresh} second words` },
    });
    expect(patched.status).toBe(200);
    expect(await found(alice, old)).toEqual([]);
    expect(await found(alice, 'first')).toEqual([]);
    expect(await found(alice, fresh)).toEqual([`${fresh} second words`]);
  });

  it.each([
    ['q missing', {}, 'SEARCH_QUERY_LENGTH', 'q'],
    ['q empty', { q: '' }, 'SEARCH_QUERY_LENGTH', 'q'],
    ['q of 201 characters', { q: 'a'.repeat(201) }, 'SEARCH_QUERY_LENGTH', 'q'],
    ['q of operators only', { q: '"&|!()*:"' }, 'SEARCH_QUERY_NO_TERMS', 'q'],
    ['q of punctuation only', { q: '...,;-' }, 'SEARCH_QUERY_NO_TERMS', 'q'],
    ['q of spaces only', { q: '   ' }, 'SEARCH_QUERY_NO_TERMS', 'q'],
    ['q with 11 terms', { q: 'a b c d e f g h i j k' }, 'SEARCH_QUERY_TOO_MANY_TERMS', 'q'],
    ['roomId malformed', { q: 'x', roomId: 'nope' }, 'VALIDATION_FAILED', 'roomId'],
    ['limit 0', { q: 'x', limit: 0 }, 'VALIDATION_FAILED', 'limit'],
    ['limit 201', { q: 'x', limit: 201 }, 'VALIDATION_FAILED', 'limit'],
    ['limit not a number', { q: 'x', limit: 'ten' }, 'VALIDATION_FAILED', 'limit'],
    ['cursor forged', { q: 'x', cursor: 'garbage' }, 'VALIDATION_FAILED', 'cursor'],
    ['an unknown parameter', { q: 'x', sort: 'old' }, 'VALIDATION_FAILED', 'sort'],
  ])('400 for %s', async (_name, query, code, field) => {
    const { alice } = await setup();
    const res = await search(alice, query);
    expectError(res, 400, code);
    expect(errorText(res)).toContain(field);
  });

  it('q of exactly 200 characters is accepted', async () => {
    const { alice } = await setup();
    expect((await search(alice, { q: 'ab '.repeat(66) + 'ab' })).status).toBe(200);
  });

  it('401 without a token', async () => {
    expectError(await search(null, { q: 'hello' }), 401);
  });

  it('OpenAPI: the route with its summary, parameters, and per error status exactly its codes', async () => {
    interface Op {
      summary?: string;
      parameters: { name: string }[];
      responses: Record<
        string,
        { content?: Record<string, { examples?: Record<string, { value: { code: string } }> }> }
      >;
    }
    const doc = (
      await http<{
        paths: Record<string, Record<string, Op>>;
        components: {
          schemas: Record<string, { properties: Record<string, { enum?: string[] }> }>;
        };
      }>(t.baseUrl, 'GET', '/docs-json')
    ).body;
    const op = doc.paths['/api/search/messages']?.get;
    expect(op?.summary).toMatch(/search/i);
    expect(op.parameters.map((p) => p.name).sort()).toEqual(['cursor', 'limit', 'q', 'roomId']);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '404', '429']);
    const codes = (status: string) =>
      Object.keys(op.responses[status].content?.['application/json']?.examples ?? {}).sort();
    expect(codes('400')).toEqual([
      'SEARCH_QUERY_LENGTH',
      'SEARCH_QUERY_NO_TERMS',
      'SEARCH_QUERY_TOO_MANY_TERMS',
      'VALIDATION_FAILED',
    ]);
    expect(codes('403')).toEqual(['NOT_ROOM_MEMBER']);
    expect(codes('404')).toEqual(['ROOM_NOT_FOUND']);
    const codeEnum = doc.components.schemas.ErrorResponseDto.properties.code.enum ?? [];
    for (const c of codes('400')) expect(codeEnum).toContain(c);
  });
});
