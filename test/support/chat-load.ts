// Helpers for multi-instance delivery tests: send a message through WebSocket or REST and record
// its ack, and check what a subscriber received against what was acked.
import { http, type TestUser } from './http.js';
import { assertExactRange, type Frame, type WsTestClient } from './ws-client.js';

export interface Endpoint {
  baseUrl: string;
  wsUrl: string;
}

/** A way into the service: a WebSocket connection, or REST as some user on some instance. */
export type SendChannel =
  | { kind: 'ws'; label: string; client: WsTestClient }
  | { kind: 'rest'; label: string; endpoint: Endpoint; user: TestUser };

export interface Acked {
  roomId: string;
  seq: number;
  id: string;
  clientMsgId: string;
  via: string;
}

/**
 * The answers (message.ack or an error frame) to a connection's message.send frames, matched by
 * clientMsgId as they arrive: no scan of the frame log per send, and when the socket closes the
 * sends still waiting fail at once (and leave no timer behind).
 */
class AckTracker {
  private readonly waiting = new Map<
    string,
    { resolve: (f: Frame) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private closed = false;

  constructor(private readonly client: WsTestClient) {
    client.socket.on('message', (raw: Buffer) => {
      let f: Frame;
      try {
        f = JSON.parse(raw.toString()) as Frame;
      } catch {
        return;
      }
      const key =
        f.event === 'message.ack' ? f.data?.clientMsgId : f.event === 'error' ? f.data?.ref : null;
      const w = typeof key === 'string' ? this.waiting.get(key) : undefined;
      if (!w) return;
      this.waiting.delete(key);
      clearTimeout(w.timer);
      w.resolve(f);
    });
    client.socket.on('close', (code: number) => {
      this.closed = true;
      for (const [id, w] of this.waiting) {
        clearTimeout(w.timer);
        w.reject(new Error(`socket closed (${code}) before ${id} was acked`));
      }
      this.waiting.clear();
    });
  }

  expect(clientMsgId: string, timeoutMs: number): Promise<Frame> {
    if (this.closed || !this.client.isOpen)
      return Promise.reject(new Error(`socket not open; ${clientMsgId} not sent`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(clientMsgId);
        reject(new Error(`no answer to ${clientMsgId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(clientMsgId, { resolve, reject, timer });
    });
  }
}

const trackers = new WeakMap<WsTestClient, AckTracker>();
function acksOf(client: WsTestClient): AckTracker {
  let t = trackers.get(client);
  if (!t) trackers.set(client, (t = new AckTracker(client)));
  return t;
}

/**
 * Sends one message and resolves with its ack (WS message.ack or REST 201); throws with the
 * answer otherwise.
 */
export async function sendVia(
  ch: SendChannel,
  roomId: string,
  content: string,
  clientMsgId: string,
  timeoutMs = 20_000,
): Promise<Acked> {
  if (ch.kind === 'ws') {
    const answer = acksOf(ch.client).expect(clientMsgId, timeoutMs);
    ch.client.send('message.send', { roomId, content, clientMsgId });
    const f = await answer;
    if (f.event !== 'message.ack')
      throw new Error(`${ch.label}: ${clientMsgId} answered ${JSON.stringify(f)}`);
    return { roomId, seq: f.data.seq, id: f.data.id, clientMsgId, via: ch.label };
  }
  const res = await http(ch.endpoint.baseUrl, 'POST', `/api/rooms/${roomId}/messages`, {
    token: ch.user.accessToken,
    body: { content, clientMsgId },
  });
  if (res.status !== 201)
    throw new Error(
      `${ch.label}: ${clientMsgId} answered ${res.status} ${JSON.stringify(res.body)}`,
    );
  return { roomId, seq: res.body.seq, id: res.body.id, clientMsgId, via: ch.label };
}

/** message.new frames per room, in arrival order, over one or more connections of a client. */
export function receivedByRoom(
  clients: WsTestClient[],
): Map<string, { seq: number; id: string }[]> {
  const out = new Map<string, { seq: number; id: string }[]>();
  for (const c of clients)
    for (const f of c.frames) {
      if (f.event !== 'message.new') continue;
      let list = out.get(f.data.roomId);
      if (!list) out.set(f.data.roomId, (list = []));
      list.push({ seq: f.data.seq, id: f.data.id });
    }
  return out;
}

/** Highest seq acked per room, and each (room, seq)'s message id; throws on a duplicate seq. */
export function indexAcks(acks: Acked[]): {
  lastSeq: Map<string, number>;
  ids: Map<string, string>;
} {
  const lastSeq = new Map<string, number>();
  const ids = new Map<string, string>();
  for (const a of acks) {
    const key = `${a.roomId}/${a.seq}`;
    const prev = ids.get(key);
    if (prev !== undefined && prev !== a.id)
      throw new Error(`two messages acked with seq ${a.seq} in room ${a.roomId}`);
    ids.set(key, a.id);
    lastSeq.set(a.roomId, Math.max(lastSeq.get(a.roomId) ?? 0, a.seq));
  }
  return { lastSeq, ids };
}

/**
 * Asserts that, for each room, the client (over all its connections, in order) received exactly
 * seq from..to once each, ascending, and that each seq carries the message acked with it.
 */
export function assertReceivedExactly(
  label: string,
  clients: WsTestClient[],
  expected: Map<string, { from?: number; to: number }>,
  ackedIds?: Map<string, string>,
): void {
  const got = receivedByRoom(clients);
  for (const [roomId, { from = 1, to }] of expected) {
    const list = got.get(roomId) ?? [];
    try {
      assertExactRange(
        list.map((m) => m.seq),
        from,
        to,
      );
    } catch (err) {
      throw new Error(`${label}, room ${roomId}: ${(err as Error).message}`, { cause: err });
    }
    if (ackedIds)
      for (const m of list) {
        const want = ackedIds.get(`${roomId}/${m.seq}`);
        if (want !== undefined && want !== m.id)
          throw new Error(`${label}, room ${roomId}: seq ${m.seq} is ${m.id}, acked as ${want}`);
      }
  }
  for (const roomId of got.keys())
    if (!expected.has(roomId)) throw new Error(`${label}: got messages of room ${roomId}`);
}

/** Whether each room's highest seq received has reached its target (for waitFor). */
export function reached(clients: WsTestClient[], targets: Map<string, number>): boolean {
  const got = receivedByRoom(clients);
  for (const [roomId, to] of targets) {
    const list = got.get(roomId);
    if (!list || list.length === 0 || list[list.length - 1].seq < to) return false;
  }
  return true;
}

/** "room r: last seq 17/200" per room, for timeout messages. */
export function progress(clients: WsTestClient[], targets: Map<string, number>): string {
  const got = receivedByRoom(clients);
  return [...targets]
    .map(([roomId, to]) => {
      const list = got.get(roomId) ?? [];
      return `${roomId.slice(0, 8)}: ${list.length} msgs, last ${list[list.length - 1]?.seq ?? '-'}/${to}`;
    })
    .join('; ');
}
