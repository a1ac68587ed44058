// The attachments behaviour both stores must have (contract v2, "Attachments"): the local store
// (test/e2e/attachments.e2e-spec.ts) and the S3 store against a real S3Proxy
// (test/s3/attachments.s3-spec.ts) run this same suite through HTTP and a real WebSocket client.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AttachmentSweeper } from '../../src/modules/attachments/attachment-sweeper.js';
import { startTestApp, type TestApp } from './app.js';
import {
  createRoom,
  expectError,
  http,
  joinRoom,
  registerUser,
  withDb,
  type HttpResult,
  type TestUser,
} from './http.js';
import { waitFor } from './wait.js';
import { queryDb, WsTestClient } from './ws-client.js';

export const MAX_BYTES = 64 * 1024;

export interface StoreUnderTest {
  name: 'local' | 's3';
  /** The app's environment for this store (ATTACHMENT_STORE and its settings). */
  env(): Promise<Record<string, string>>;
  /** Whether the object behind an attachment's key is still in the store. */
  exists(objectKey: string): Promise<boolean>;
  /** Checks on the upload target this store answers (where it points, what it signs). */
  checkUploadTarget(upload: Upload, size: number, baseUrl: string): void;
  /** An upload URL for the same attachment that expired a while ago (signed by the test). */
  expiredUploadUrl(t: TestApp, attachmentId: string, upload: Upload): Promise<string>;
}

export interface Upload {
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
}

interface Created {
  id: string;
  upload: Upload;
  expiresIn: number;
}

interface ServedAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  url: string;
}

const abs = (baseUrl: string, url: string) => (url.startsWith('/') ? baseUrl + url : url);

/** PUT raw bytes (no bearer token) to an upload URL with its headers. */
export async function putBytes(
  baseUrl: string,
  upload: Upload,
  bytes: Buffer,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { ...upload.headers, ...extraHeaders };
  // fetch computes Content-Length from the body itself (a forbidden header to set).
  delete headers['Content-Length'];
  const res = await fetch(abs(baseUrl, upload.url), {
    method: upload.method,
    headers,
    body: bytes,
  });
  return { status: res.status, text: await res.text() };
}

/** GET with no token, following redirects (the S3 store answers with one). */
async function download(baseUrl: string, url: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(abs(baseUrl, url));
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

async function declare(
  t: TestApp,
  user: TestUser,
  roomId: string,
  body: Record<string, unknown>,
): Promise<HttpResult<Created>> {
  return http<Created>(t.baseUrl, 'POST', `/api/rooms/${roomId}/attachments`, {
    token: user.accessToken,
    body,
  });
}

async function uploaded(
  t: TestApp,
  user: TestUser,
  roomId: string,
  opts: { size?: number; filename?: string; contentType?: string } = {},
): Promise<{ id: string; bytes: Buffer }> {
  const bytes = randomBytes(opts.size ?? 1500);
  const res = await declare(t, user, roomId, {
    filename: opts.filename ?? 'photo.png',
    contentType: opts.contentType ?? 'image/png',
    size: bytes.length,
  });
  expect(res.status).toBe(201);
  const put = await putBytes(t.baseUrl, res.body.upload, bytes);
  expect([200, 204]).toContain(put.status);
  return { id: res.body.id, bytes };
}

async function send(
  t: TestApp,
  user: TestUser,
  roomId: string,
  attachmentIds: unknown,
  content = 'see attached',
): Promise<HttpResult> {
  return http(t.baseUrl, 'POST', `/api/rooms/${roomId}/messages`, {
    token: user.accessToken,
    body: { content, attachmentIds },
  });
}

async function messageCount(roomId: string): Promise<number> {
  const [row] = await queryDb<{ n: string }>(
    `SELECT count(*) AS n FROM messages WHERE room_id = $1`,
    [roomId],
  );
  return Number(row.n);
}

async function objectKey(id: string): Promise<string> {
  const [row] = await queryDb<{ object_key: string }>(
    `SELECT object_key FROM attachments WHERE id = $1`,
    [id],
  );
  return row.object_key;
}

/** The download URL works for at least 10 minutes from now (its signed expiry says so). */
function expectLongLived(url: string): void {
  const expires = Number(new URL(url, 'http://x').searchParams.get('expires'));
  expect(expires * 1000).toBeGreaterThanOrEqual(Date.now() + 10 * 60_000);
}

export function describeAttachmentBehaviour(store: StoreUnderTest): void {
  describe(`attachments on the ${store.name} store`, () => {
    let t: TestApp;
    let owner: TestUser;
    let member: TestUser;
    let stranger: TestUser;
    let room: { id: string };
    let otherRoom: { id: string };

    beforeAll(async () => {
      t = await startTestApp({
        ...(await store.env()),
        ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
      });
      [owner, member, stranger] = await Promise.all([
        registerUser(t.baseUrl),
        registerUser(t.baseUrl),
        registerUser(t.baseUrl),
      ]);
      room = await createRoom(t.baseUrl, owner);
      otherRoom = await createRoom(t.baseUrl, owner);
      expect((await joinRoom(t.baseUrl, member, room.id)).status).toBe(200);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('declare, upload, send: the message carries it everywhere with a working download URL', async () => {
      const bytes = randomBytes(5000);
      const created = await declare(t, owner, room.id, {
        filename: 'Diagram – v2.png',
        contentType: 'image/png',
        size: bytes.length,
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        upload: { url: expect.any(String), method: 'PUT', headers: expect.any(Object) },
        expiresIn: expect.any(Number),
      });
      store.checkUploadTarget(created.body.upload, bytes.length, t.baseUrl);
      expect((await putBytes(t.baseUrl, created.body.upload, bytes)).status).toBeLessThan(300);

      const word = `zq${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      const sent = await send(t, owner, room.id, [created.body.id], `see attached ${word}`);
      expect(sent.status).toBe(201);
      const [att] = sent.body.attachments as ServedAttachment[];
      expect(att).toEqual({
        id: created.body.id,
        filename: 'Diagram – v2.png',
        contentType: 'image/png',
        size: bytes.length,
        url: expect.any(String),
      });
      expectLongLived(att.url);
      const got = await download(t.baseUrl, att.url);
      expect(got.status).toBe(200);
      expect(got.body.equals(bytes)).toBe(true);

      // History (another member), room events: the same attachment, each with a URL that works.
      const history = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/messages`, {
        token: member.accessToken,
      });
      const inHistory = (
        history.body.items as { id: string; attachments: ServedAttachment[] }[]
      ).find((m) => m.id === sent.body.id)!.attachments;
      expect(inHistory.map((a) => a.id)).toEqual([created.body.id]);
      expect((await download(t.baseUrl, inHistory[0].url)).body.equals(bytes)).toBe(true);
      const events = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/events`, {
        token: member.accessToken,
      });
      const ev = (events.body.items as { event: string; data: Record<string, unknown> }[]).find(
        (e) => e.event === 'message.new' && e.data.id === sent.body.id,
      )!;
      const inEvent = ev.data.attachments as ServedAttachment[];
      expect(inEvent[0]).toMatchObject({ id: created.body.id, size: bytes.length });
      expectLongLived(inEvent[0].url);
      const found = await http(t.baseUrl, 'GET', `/api/search/messages?q=${word}`, {
        token: member.accessToken,
      });
      const hit = (found.body.items as { message: { attachments: ServedAttachment[] } }[])[0];
      expect(hit.message.attachments[0]).toMatchObject({
        id: created.body.id,
        url: expect.any(String),
      });
      expect((await download(t.baseUrl, hit.message.attachments[0].url)).body.equals(bytes)).toBe(
        true,
      );

      // A tampered download link leaks nothing.
      const bad = new URL(abs(t.baseUrl, att.url));
      if (bad.searchParams.has('signature')) {
        bad.searchParams.set('signature', 'A'.repeat(43));
        expect((await download(t.baseUrl, bad.toString())).status).toBe(403);
      }
    });

    it('GET /api/attachments/:id: members get a 302 to a fresh URL, everyone else a 404', async () => {
      const { id, bytes } = await uploaded(t, owner, room.id);
      // Not yet on a message: its uploader only.
      const mine = await fetch(`${t.baseUrl}/api/attachments/${id}`, {
        headers: { authorization: `Bearer ${owner.accessToken}` },
        redirect: 'manual',
      });
      expect(mine.status).toBe(302);
      const before = await http(t.baseUrl, 'GET', `/api/attachments/${id}`, {
        token: member.accessToken,
      });
      expectError(before, 404, 'ATTACHMENT_NOT_FOUND');

      expect((await send(t, owner, room.id, [id])).status).toBe(201);
      const res = await fetch(`${t.baseUrl}/api/attachments/${id}`, {
        headers: { authorization: `Bearer ${member.accessToken}` },
        redirect: 'manual',
      });
      expect(res.status).toBe(302);
      const location = res.headers.get('location')!;
      expect((await download(t.baseUrl, location)).body.equals(bytes)).toBe(true);

      expectError(
        await http(t.baseUrl, 'GET', `/api/attachments/${id}`, { token: stranger.accessToken }),
        404,
        'ATTACHMENT_NOT_FOUND',
      );
      expect((await http(t.baseUrl, 'GET', `/api/attachments/${id}`)).status).toBe(401);
      expectError(
        await http(t.baseUrl, 'GET', `/api/attachments/${randomUUID()}`, {
          token: member.accessToken,
        }),
        404,
        'ATTACHMENT_NOT_FOUND',
      );
    });

    it('message.send over WebSocket: the ack, and live frames carry the attachment with its URL', async () => {
      const { id, bytes } = await uploaded(t, member, room.id, {
        filename: 'notes.txt',
        contentType: 'text/plain',
        size: 321,
      });
      const watcher = await WsTestClient.connect(t.wsUrl, { token: owner.accessToken });
      const sender = await WsTestClient.connect(t.wsUrl, { token: member.accessToken });
      try {
        await watcher.subscribe(room.id);
        const from = sender.frames.length;
        sender.send('message.send', {
          roomId: room.id,
          content: 'over ws',
          clientMsgId: 'att-ws-1',
          attachmentIds: [id],
        });
        const ack = await sender.waitFor(
          (f) => f.event === 'message.ack' || f.event === 'error',
          10_000,
          from,
        );
        expect(ack.event).toBe('message.ack');
        const live = await watcher.waitFor(
          (f) => f.event === 'message.new' && f.data.id === ack.data.id,
          10_000,
        );
        const [att] = live.data.attachments as ServedAttachment[];
        expect(att).toMatchObject({
          id,
          filename: 'notes.txt',
          contentType: 'text/plain',
          size: 321,
        });
        expectLongLived(att.url);
        expect((await download(t.baseUrl, att.url)).body.equals(bytes)).toBe(true);

        // The same clientMsgId again: the first message, not ATTACHMENT_INVALID.
        const again = sender.frames.length;
        sender.send('message.send', {
          roomId: room.id,
          content: 'over ws',
          clientMsgId: 'att-ws-1',
          attachmentIds: [id],
        });
        const ack2 = await sender.waitFor(
          (f) => f.event === 'message.ack' || f.event === 'error',
          10_000,
          again,
        );
        expect(ack2.data).toMatchObject({ id: ack.data.id });

        // Refusals are error frames with the code.
        const bad = sender.frames.length;
        sender.send('message.send', {
          roomId: room.id,
          content: 'taken',
          clientMsgId: 'att-ws-2',
          attachmentIds: [id],
        });
        const err = await sender.waitFor((f) => f.event === 'error', 10_000, bad);
        expect(err.data.code).toBe('ATTACHMENT_INVALID');
      } finally {
        watcher.close();
        sender.close();
      }
    });

    it('refuses bad declarations with a code each, storing nothing', async () => {
      const [{ n: before }] = await queryDb<{ n: string }>(
        `SELECT count(*) AS n FROM attachments WHERE room_id = $1`,
        [otherRoom.id],
      );
      const cases: [Record<string, unknown>, string][] = [
        [
          { filename: 'a.bin', contentType: 'application/octet-stream', size: 0 },
          'ATTACHMENT_SIZE_INVALID',
        ],
        [
          { filename: 'a.bin', contentType: 'application/octet-stream', size: MAX_BYTES + 1 },
          'ATTACHMENT_SIZE_INVALID',
        ],
        [
          { filename: '../etc/passwd', contentType: 'text/plain', size: 10 },
          'ATTACHMENT_FILENAME_INVALID',
        ],
        [
          { filename: 'dir\\x.txt', contentType: 'text/plain', size: 10 },
          'ATTACHMENT_FILENAME_INVALID',
        ],
        [
          { filename: 'bell\u0007.txt', contentType: 'text/plain', size: 10 },
          'ATTACHMENT_FILENAME_INVALID',
        ],
        [
          { filename: 'line\nbreak.txt', contentType: 'text/plain', size: 10 },
          'ATTACHMENT_FILENAME_INVALID',
        ],
        [{ filename: '', contentType: 'text/plain', size: 10 }, 'ATTACHMENT_FILENAME_INVALID'],
        [
          { filename: 'x'.repeat(256), contentType: 'text/plain', size: 10 },
          'ATTACHMENT_FILENAME_INVALID',
        ],
        [
          { filename: 'ok.txt', contentType: 'not a type', size: 10 },
          'ATTACHMENT_CONTENT_TYPE_INVALID',
        ],
        [{ filename: 'ok.txt', contentType: 'text/plain', size: 1.5 }, 'VALIDATION_FAILED'],
      ];
      for (const [body, code] of cases)
        expectError(await declare(t, owner, otherRoom.id, body), 400, code);
      // Not a member: the room's own answers.
      expectError(
        await declare(t, member, otherRoom.id, {
          filename: 'a.txt',
          contentType: 'text/plain',
          size: 1,
        }),
        403,
        'NOT_ROOM_MEMBER',
      );
      const [{ n: after }] = await queryDb<{ n: string }>(
        `SELECT count(*) AS n FROM attachments WHERE room_id = $1`,
        [otherRoom.id],
      );
      expect(after).toBe(before);
      // 255 characters is fine.
      expect(
        (
          await declare(t, owner, otherRoom.id, {
            filename: 'é'.repeat(255),
            contentType: 'text/plain',
            size: 1,
          })
        ).status,
      ).toBe(201);
    });

    it('refuses a send whose attachments are not all valid, storing no message', async () => {
      const mine = await uploaded(t, owner, room.id);
      const theirs = await uploaded(t, member, room.id);
      const elsewhere = await uploaded(t, owner, otherRoom.id);
      const declaredOnly = await declare(t, owner, room.id, {
        filename: 'later.txt',
        contentType: 'text/plain',
        size: 10,
      });
      const before = await messageCount(room.id);
      const cases: unknown[] = [
        [theirs.id], // someone else's upload
        [elsewhere.id], // another room's
        [declaredOnly.body.id], // never uploaded
        [randomUUID()], // unknown
        [mine.id, randomUUID()], // one bad spoils the lot
        [mine.id, mine.id], // twice
        Array.from({ length: 11 }, () => randomUUID()), // more than 10
      ];
      for (const ids of cases)
        expectError(await send(t, owner, room.id, ids), 400, 'ATTACHMENT_INVALID');
      expect(await messageCount(room.id)).toBe(before);
      expectError(await send(t, owner, room.id, ['nope']), 400, 'VALIDATION_FAILED');

      // None of those refusals took `mine`: it still goes on a message, once.
      expect((await send(t, owner, room.id, [mine.id])).status).toBe(201);
      expectError(await send(t, owner, room.id, [mine.id]), 400, 'ATTACHMENT_INVALID');
      expect(await messageCount(room.id)).toBe(before + 1);
    });

    it('the store measures the size: a body of another length never goes on a message', async () => {
      const declared = await declare(t, owner, room.id, {
        filename: 'short.bin',
        contentType: 'application/octet-stream',
        size: 1000,
      });
      const short = await putBytes(t.baseUrl, declared.body.upload, randomBytes(999));
      const long = await putBytes(t.baseUrl, declared.body.upload, randomBytes(1001));
      // Refused by whoever receives the upload (400 from the service, 403 from S3: the signed
      // Content-Length does not match) ...
      expect(short.status).toBeGreaterThanOrEqual(400);
      expect(long.status).toBeGreaterThanOrEqual(400);
      if (store.name === 'local') {
        expect(JSON.parse(short.text).code).toBe('ATTACHMENT_SIZE_MISMATCH');
        expect(JSON.parse(long.text).code).toBe('ATTACHMENT_SIZE_MISMATCH');
      }
      expect(await store.exists(await objectKey(declared.body.id))).toBe(false);
      // ... and the send finds nothing of the declared size.
      expectError(await send(t, owner, room.id, [declared.body.id]), 400, 'ATTACHMENT_INVALID');
      // The right length still works afterwards.
      expect(
        (await putBytes(t.baseUrl, declared.body.upload, randomBytes(1000))).status,
      ).toBeLessThan(300);
      expect((await send(t, owner, room.id, [declared.body.id])).status).toBe(201);
    });

    it('an expired upload URL is refused', async () => {
      const declared = await declare(t, owner, room.id, {
        filename: 'late.txt',
        contentType: 'text/plain',
        size: 5,
      });
      const url = await store.expiredUploadUrl(t, declared.body.id, declared.body.upload);
      const res = await putBytes(t.baseUrl, { ...declared.body.upload, url }, Buffer.from('hello'));
      expect([400, 403]).toContain(res.status);
      if (store.name === 'local') expect(JSON.parse(res.text).code).toBe('ATTACHMENT_LINK_INVALID');
      expect(await store.exists(await objectKey(declared.body.id))).toBe(false);
    });

    it('deleting the message deletes its files; its links stop working', async () => {
      const { id } = await uploaded(t, owner, room.id);
      const key = await objectKey(id);
      const sent = await send(t, owner, room.id, [id]);
      const url = (sent.body.attachments as ServedAttachment[])[0].url;
      expect(await store.exists(key)).toBe(true);
      const del = await http(
        t.baseUrl,
        'DELETE',
        `/api/rooms/${room.id}/messages/${sent.body.id}`,
        {
          token: owner.accessToken,
        },
      );
      expect(del.status).toBe(204);
      expect(await store.exists(key)).toBe(false);
      expect((await download(t.baseUrl, url)).status).toBe(404);
      expectError(
        await http(t.baseUrl, 'GET', `/api/attachments/${id}`, { token: member.accessToken }),
        404,
        'ATTACHMENT_NOT_FOUND',
      );
      const history = await http(t.baseUrl, 'GET', `/api/rooms/${room.id}/messages`, {
        token: member.accessToken,
      });
      const tomb = (
        history.body.items as { id: string; attachments: unknown[]; deleted: boolean }[]
      ).find((m) => m.id === sent.body.id)!;
      expect(tomb).toMatchObject({ deleted: true, attachments: [] });
    });

    it('OpenAPI: every attachments route has a summary and its own error codes', async () => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the OpenAPI document
      const doc = (await http<any>(t.baseUrl, 'GET', '/docs-json')).body;
      const codes = (op: { responses: Record<string, { content?: unknown }> }, status: string) =>
        Object.keys(
          (op.responses[status]?.content as Record<string, { examples?: object }> | undefined)?.[
            'application/json'
          ]?.examples ?? {},
        );
      const create = doc.paths['/api/rooms/{id}/attachments'].post;
      const get = doc.paths['/api/attachments/{id}'].get;
      const upload = doc.paths['/api/attachments/{id}/upload'].put;
      const content = doc.paths['/api/attachments/{id}/content'].get;
      for (const op of [create, get, upload, content])
        expect(op.summary).toEqual(expect.any(String));
      expect(codes(create, '400')).toEqual(
        expect.arrayContaining([
          'ATTACHMENT_SIZE_INVALID',
          'ATTACHMENT_FILENAME_INVALID',
          'ATTACHMENT_CONTENT_TYPE_INVALID',
        ]),
      );
      expect(codes(get, '404')).toEqual(['ATTACHMENT_NOT_FOUND']);
      expect(codes(upload, '400')).toContain('ATTACHMENT_SIZE_MISMATCH');
      expect(codes(upload, '403')).toEqual(['ATTACHMENT_LINK_INVALID']);
      expect(codes(content, '403')).toEqual(['ATTACHMENT_LINK_INVALID']);
      // The link routes need no bearer token; the others do.
      expect(upload.security ?? []).toEqual([]);
      expect(content.security ?? []).toEqual([]);
      expect(create.security).toEqual([{ bearer: [] }]);
      expect(codes(doc.paths['/api/rooms/{id}/messages'].post, '400')).toContain(
        'ATTACHMENT_INVALID',
      );
      const codeEnum = doc.components.schemas.ErrorResponseDto.properties.code.enum as string[];
      for (const c of ['ATTACHMENT_INVALID', 'ATTACHMENT_LINK_INVALID', 'ATTACHMENT_NOT_FOUND'])
        expect(codeEnum).toContain(c);
    });

    it('an upload no message took is swept after its time, files and all', async () => {
      const { id } = await uploaded(t, owner, room.id);
      const key = await objectKey(id);
      await queryDb(
        `UPDATE attachments SET created_at = now() - interval '25 hours' WHERE id = $1`,
        [id],
      );
      const sweeper = t.app.get(AttachmentSweeper);
      // Once across instances: while another instance's round holds the lock, a round skips.
      await withDb(async (c) => {
        await c.query('BEGIN');
        await c.query(`SELECT pg_advisory_xact_lock(hashtext('chat:attachment-sweep'))`);
        try {
          expect(await sweeper.sweep()).toBe(-1);
        } finally {
          await c.query('COMMIT');
        }
      });
      expect(await store.exists(key)).toBe(true);
      // Another app's round may hold the lock (it skips); a round of ours takes it.
      await waitFor(
        async () =>
          (await sweeper.sweep()) >= 0 &&
          (await queryDb(`SELECT 1 FROM attachments WHERE id = $1`, [id])).length === 0,
        'the sweep',
      );
      expect(await store.exists(key)).toBe(false);
      expectError(await send(t, owner, room.id, [id]), 400, 'ATTACHMENT_INVALID');
    });
  });
}
