// GET /asyncapi.json: an AsyncAPI 3 document of /ws and of the event-bus records that the
// official parser accepts, and whose schemas match the frames the server really sends: every
// frame this suite receives is validated against its event's schema (with no field left
// undescribed), so the document cannot drift from the code. Runs with the modules off (e2e)
// and on (e2e-all-modules): the modules' events appear exactly when their module is on.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Parser } from '@asyncapi/parser';
import type { ChatEvent } from '../../src/common/events/chat-events.js';
import { EventBus } from '../../src/common/events/event-bus.js';
import { loadConfig } from '../../src/config/load-config.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { frameValidators, type AsyncApiDoc } from '../support/asyncapi.js';
import { createRoom, http, joinRoom, registerUser, type TestUser } from '../support/http.js';
import { connectWithTicket, type Frame, type WsTestClient } from '../support/ws-client.js';

const flags = loadConfig(process.env).features.flags;

const CORE_SERVER_EVENTS = [
  'room.subscribed',
  'room.unsubscribed',
  'message.ack',
  'message.new',
  'message.edited',
  'message.deleted',
  'reaction.added',
  'reaction.removed',
  'member.joined',
  'member.left',
  'room.updated',
  'room.deleted',
  'typing',
  'invite.received',
  'dm.created',
  'read.updated',
  'pong',
  'error',
];
const CORE_CLIENT_EVENTS = [
  'room.subscribe',
  'room.unsubscribe',
  'message.send',
  'typing',
  'room.read',
  'ping',
];
const BUS_RECORDS = [
  'room.event',
  'room.deleted',
  'typing',
  'session.revoked',
  'invite.received',
  'dm.created',
  'read.updated',
];

describe('AsyncAPI document (/asyncapi.json)', () => {
  let t: TestApp;
  let doc: AsyncApiDoc;

  beforeAll(async () => {
    t = await startTestApp();
    const res = await http<AsyncApiDoc>(t.baseUrl, 'GET', '/asyncapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(async () => {
    await t.close();
  });

  const titles = (dir: string) =>
    Object.values<{ title: string; 'x-direction'?: string }>(doc.components.messages)
      .filter((m) => m['x-direction'] === dir)
      .map((m) => m.title);

  it('is a valid AsyncAPI 3 document for the official parser', async () => {
    expect(doc.asyncapi).toMatch(/^3\./);
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    // Severity 0: DiagnosticSeverity.Error (warnings and hints are not failures).
    const errors = diagnostics.filter((d) => (d.severity as number) === 0);
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.channels().get('ws')?.address()).toBe('/ws');
  });

  it('lists every client and server event of v1 and v2, and the modules’ only when on', () => {
    const server = titles('server-to-client');
    const client = titles('client-to-server');
    expect(server).toEqual(expect.arrayContaining(CORE_SERVER_EVENTS));
    expect(client).toEqual(expect.arrayContaining(CORE_CLIENT_EVENTS));
    expect(server.includes('presence')).toBe(flags.enableOnlineStatistics);
    expect(server.includes('message.delete.ack')).toBe(flags.enableAdvancedAdmin);
    expect(client.includes('message.delete')).toBe(flags.enableAdvancedAdmin);
    const s = doc.components.schemas;
    expect(Object.keys(s.MessageSendData.properties).includes('onBehalfOf')).toBe(
      flags.enableProxySystem,
    );
    expect(s.Room.properties.orgId.type).toEqual(
      flags.enableOrganizations ? ['string', 'null'] : 'null',
    );
    // The v2 room log: one entry shape per room event kind.
    const kinds = s.RoomEvent.oneOf.map(
      (o: { properties: { event: { const: string } } }) => o.properties.event.const,
    );
    expect(kinds.sort()).toEqual(
      [
        'member.joined',
        'member.left',
        'message.deleted',
        'message.edited',
        'message.new',
        'reaction.added',
        'reaction.removed',
        'room.updated',
      ].sort(),
    );
  });

  it('describes the event-bus topic’s records with their headers and key', () => {
    const bus = doc.channels.chatEvents;
    expect(bus.address).toBe(loadConfig(process.env).bus.kafkaTopic);
    const records = Object.keys(bus.messages).map((n) => doc.components.messages[n]);
    const types = records.map((m: { title: string }) => m.title);
    expect(types).toEqual(expect.arrayContaining(BUS_RECORDS));
    expect(types.includes('presence')).toBe(flags.enableOnlineStatistics);
    expect(Object.keys(doc.components.schemas.BusRecordHeaders.properties)).toEqual([
      'chat-event-id',
      'chat-event-type',
      'chat-schema-version',
      'source-instance',
    ]);
    for (const m of records) expect(m.bindings.kafka.key.type).toBe('string');
  });

  it('gives every message a stable name, a summary and an `event` discriminator', () => {
    for (const [name, m] of Object.entries<Record<string, unknown>>(doc.components.messages)) {
      expect(m.name).toBe(name);
      expect(typeof m.summary).toBe('string');
      if (m['x-direction']) {
        const p = m.payload as { required: string[]; properties: { event: { enum: string[] } } };
        expect(p.required).toEqual(['event', 'data']);
        expect(p.properties.event.enum).toEqual([m.title]);
      }
    }
  });

  it('every frame the server sends matches its schema in the document', async () => {
    const v = frameValidators(doc);
    const owner = await registerUser(t.baseUrl);
    const member = await registerUser(t.baseUrl);
    const other = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, owner);
    const sockets: WsTestClient[] = [];
    const connect = async (u: TestUser) => {
      const c = await connectWithTicket(t, u);
      sockets.push(c);
      return c;
    };
    // Every frame the tests send is checked against the client schemas too.
    const send = (c: WsTestClient, event: string, data: unknown) => {
      const check = v.clientEvent(event);
      expect({ event, known: check !== undefined }).toEqual({ event, known: true });
      expect({ event, errors: check!({ event, data }) ? null : check!.errors }).toEqual({
        event,
        errors: null,
      });
      c.send(event, data);
    };
    const api = (u: TestUser, method: string, path: string, body?: unknown) =>
      http(t.baseUrl, method, path, { token: u.accessToken, body });
    // The bus records too (the in-process driver carries the same ChatEvents as Kafka).
    const records: ChatEvent[] = [];
    const unsubscribeBus = t.app.get(EventBus).subscribe((e) => records.push(e));
    try {
      const a = await connect(owner);
      send(a, 'room.subscribe', { roomId: room.id, afterEventSeq: 0 });
      await a.waitFor('room.subscribed');
      expect((await joinRoom(t.baseUrl, member, room.id)).status).toBe(200);
      const b = await connect(member);
      send(b, 'room.subscribe', { roomId: room.id, afterSeq: 0 });
      await b.waitFor('room.subscribed');
      if (flags.enableOnlineStatistics) await a.waitFor('presence', 10_000);

      send(a, 'message.send', { roomId: room.id, content: 'hello @x', clientMsgId: 'as-1' });
      const ack = await a.waitFor('message.ack');
      const id = ack.data.id as string;
      await b.waitFor('message.new');
      await a.waitFor('read.updated');
      const msg = `/api/rooms/${room.id}/messages/${id}`;
      expect((await api(owner, 'PATCH', msg, { content: 'edited' })).status).toBe(200);
      expect((await api(member, 'PUT', `${msg}/reactions/%F0%9F%91%8D`)).status).toBe(204);
      expect((await api(member, 'DELETE', `${msg}/reactions/%F0%9F%91%8D`)).status).toBe(204);
      send(b, 'room.read', { roomId: room.id, seq: 1 });
      await b.waitFor('read.updated');
      send(b, 'typing', { roomId: room.id });
      await a.waitFor('typing');
      expect(
        (await api(owner, 'PATCH', `/api/rooms/${room.id}`, { description: 'about' })).status,
      ).toBe(200);
      send(a, 'message.send', {
        roomId: room.id,
        content: 'reply',
        clientMsgId: 'as-2',
        threadRootId: id,
      });
      await a.waitFor((f) => f.event === 'message.ack' && f.data.clientMsgId === 'as-2');
      expect((await api(owner, 'DELETE', msg)).status).toBe(204);
      await b.waitFor('message.deleted');
      await b.waitFor('room.updated');
      await b.waitFor('reaction.removed');
      await b.waitFor('message.edited');
      if (flags.enableAdvancedAdmin) {
        send(a, 'message.delete', { roomId: room.id, messageId: id, reason: 'spam' });
        await a.waitFor(
          (f) => f.event === 'message.delete.ack' || f.data?.ref === 'message.delete',
        );
      }

      // A late subscriber replays the whole log (v2 cursor) and the messages (v1 cursor).
      const c = await connect(owner);
      send(c, 'room.subscribe', { roomId: room.id, afterEventSeq: 0 });
      await c.waitFor('message.deleted');
      send(c, 'ping', {});
      await c.waitFor('pong');
      // Errors: a cursor past the log, an unknown event, a bad frame, a mistyped field.
      send(c, 'room.subscribe', { roomId: room.id, afterEventSeq: 1_000_000 });
      await c.waitFor((f) => f.event === 'error' && f.data.code === 'RESYNC_REQUIRED');
      c.send('no.such.event', {});
      await c.waitFor((f) => f.event === 'error' && f.data.code === 'UNKNOWN_EVENT');
      c.sendRaw('not json');
      await c.waitFor((f) => f.event === 'error' && f.data.code === 'BAD_FRAME');
      c.send('room.read', { roomId: room.id, seq: 'one' });
      await c.waitFor((f) => f.event === 'error' && f.data.code === 'VALIDATION_FAILED');
      send(c, 'room.unsubscribe', { roomId: room.id });
      await c.waitFor('room.unsubscribed');

      // Invites and direct rooms reach every socket of the user, subscribed or not.
      const o = await connect(other);
      const secret = await createRoom(t.baseUrl, owner, { isPrivate: true, password: 'pw-123456' });
      expect(
        (await api(owner, 'POST', `/api/rooms/${secret.id}/invites`, { userId: other.id })).status,
      ).toBe(201);
      await o.waitFor('invite.received');
      expect([200, 201]).toContain(
        (await api(owner, 'POST', '/api/dms', { userIds: [other.id] })).status,
      );
      await o.waitFor('dm.created');

      // Leaving and deleting end subscriptions.
      expect((await api(member, 'POST', `/api/rooms/${room.id}/leave`)).status).toBe(204);
      await a.waitFor('member.left');
      await b.waitFor((f) => f.event === 'room.unsubscribed' && f.data.reason === 'left');
      expect((await api(owner, 'DELETE', `/api/rooms/${room.id}`)).status).toBe(204);
      await a.waitFor('room.deleted');
      await a.waitFor((f) => f.event === 'room.unsubscribed' && f.data.reason === 'deleted');

      // Logging out ends the session's sockets (session.revoked on the bus, close 4401).
      expect(
        (await api(other, 'POST', '/api/auth/logout', { refreshToken: other.refreshToken })).status,
      ).toBe(204);
      expect(await o.waitClosed()).toBe(4401);

      const frames: Frame[] = sockets.flatMap((s) => s.frames);
      const failures: unknown[] = [];
      for (const f of frames) {
        const check = v.serverEvent(f.event);
        if (!check) failures.push({ undocumented: f.event });
        else if (!check({ event: f.event, data: f.data as unknown }))
          failures.push({ event: f.event, data: f.data, errors: check.errors });
      }
      expect(failures).toEqual([]);
      const seen = new Set(frames.map((f) => f.event));
      const expected = [...CORE_SERVER_EVENTS];
      if (flags.enableOnlineStatistics) expected.push('presence');
      expect(expected.filter((e) => !seen.has(e))).toEqual([]);

      const recordFailures: unknown[] = [];
      for (const e of records) {
        const check = v.busRecord(e.type);
        const value: unknown = JSON.parse(JSON.stringify(e));
        if (!check) recordFailures.push({ undocumented: e.type });
        else if (!check(value)) recordFailures.push({ type: e.type, value, errors: check.errors });
      }
      expect(recordFailures).toEqual([]);
      const types = new Set(records.map((e) => e.type));
      expect(BUS_RECORDS.filter((r) => !types.has(r as ChatEvent['type']))).toEqual([]);
    } finally {
      unsubscribeBus();
      for (const s of sockets) s.close();
    }
  });

  it('is not served when DOCS_ENABLED is off, like /docs-json', async () => {
    const off = await startTestApp({ DOCS_ENABLED: 'false' });
    try {
      expect((await http(off.baseUrl, 'GET', '/asyncapi.json')).status).toBe(404);
      expect((await http(off.baseUrl, 'GET', '/docs-json')).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
