import type { Socket } from 'node:net';
import pg from 'pg';
import WebSocket from 'ws';
import { http, type TestUser } from './http.js';

export interface Frame {
  event: string;
  // Frames are arbitrary JSON from the server: the tests assert their shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

/** A `message.new` frame's data (the contract's Message). */
export interface ChatMessage {
  id: string;
  roomId: string;
  seq: number;
  userId: string;
  username: string;
  content: string;
  type: string;
  clientMsgId: string | null;
  createdAt: string;
}

/** Outcome of an upgrade the server refused: the HTTP status it answered with. */
export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with HTTP ${status}`);
  }
}

export interface ConnectOptions {
  token?: string;
  ticket?: string;
  origin?: string;
  headers?: Record<string, string>;
  /** Extra query parameters on the upgrade URL. */
  query?: Record<string, string>;
  /** ws answers server pings by itself unless this is false (a client that "died"). */
  autoPong?: boolean;
}

/**
 * A real WebSocket client for tests: records every frame, and lets a test wait for the next
 * frame matching a predicate (with a timeout, so a missing frame fails instead of hanging).
 */
export class WsTestClient {
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  closeReason = '';
  /** WebSocket-level pings received from the server. */
  pings = 0;
  /** Socket errors seen after the connection opened. */
  readonly errors: Error[] = [];
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void; from: number }[] =
    [];
  private closeWaiters: ((code: number) => void)[] = [];
  private cursor = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (raw: Buffer, isBinary: boolean) => {
      let f: Frame;
      try {
        f = JSON.parse(raw.toString()) as Frame;
      } catch {
        // The server must only send JSON text; keep the evidence so an assertion can fail on it.
        f = { event: '__not_json__', data: { raw: raw.toString(), isBinary } };
      }
      this.frames.push(f);
      const idx = this.frames.length - 1;
      this.waiters = this.waiters.filter((w) => {
        if (idx >= w.from && w.pred(f)) {
          w.resolve(f);
          return false;
        }
        return true;
      });
    });
    socket.on('ping', () => {
      this.pings++;
    });
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      for (const w of this.closeWaiters) w(code);
      this.closeWaiters = [];
    });
  }

  static connect(url: string, opts: ConnectOptions = {}): Promise<WsTestClient> {
    const u = new URL(url);
    if (opts.ticket) u.searchParams.set('ticket', opts.ticket);
    for (const [k, v] of Object.entries(opts.query ?? {})) u.searchParams.set(k, v);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.origin) headers.origin = opts.origin;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(u.toString(), { headers, autoPong: opts.autoPong ?? true });
      const client = new WsTestClient(socket);
      let settled = false;
      socket.once('open', () => {
        settled = true;
        resolve(client);
      });
      socket.once('unexpected-response', (_req, res) => {
        settled = true;
        reject(new UpgradeRefused(res.statusCode ?? 0));
        socket.terminate();
      });
      // A permanent listener: an 'error' after the open (e.g. a connection reset) must not
      // crash the test process as an unhandled 'error' event.
      socket.on('error', (err) => {
        if (!settled) {
          settled = true;
          reject(err);
        } else client.errors.push(err);
      });
    });
  }

  /** The upgrade's outcome as an HTTP status: 101 when it opened, else the refusal's status. */
  static async upgradeStatus(url: string, opts: ConnectOptions = {}): Promise<number> {
    try {
      const c = await WsTestClient.connect(url, opts);
      c.close();
      return 101;
    } catch (err) {
      if (err instanceof UpgradeRefused) return err.status;
      throw err;
    }
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(event: string, data: unknown): void {
    this.socket.send(JSON.stringify({ event, data }));
  }

  sendRaw(raw: string | Buffer, opts: { binary?: boolean } = {}): void {
    this.socket.send(raw, { binary: opts.binary ?? typeof raw !== 'string' });
  }

  /** The next frame (after the ones already consumed by `next`) that matches. */
  next(pred: ((f: Frame) => boolean) | string, timeoutMs = 5000): Promise<Frame> {
    const p = typeof pred === 'string' ? (f: Frame) => f.event === pred : pred;
    for (let i = this.cursor; i < this.frames.length; i++) {
      if (p(this.frames[i])) {
        this.cursor = i + 1;
        return Promise.resolve(this.frames[i]);
      }
    }
    return new Promise((resolve, reject) => {
      const from = this.frames.length;
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(`timed out waiting for a frame; got: ${JSON.stringify(this.frames.slice(-5))}`),
        );
      }, timeoutMs);
      const waiter = {
        pred: p,
        from,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          this.cursor = this.frames.indexOf(f) + 1;
          resolve(f);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * The first frame at index >= `from` that matches, waiting for it if needed. Unlike `next`,
   * this ignores and does not move the cursor (frames may arrive in any order relative to
   * the answer a test waits for).
   */
  waitFor(pred: ((f: Frame) => boolean) | string, timeoutMs = 5000, from = 0): Promise<Frame> {
    const p = typeof pred === 'string' ? (f: Frame) => f.event === pred : pred;
    for (let i = from; i < this.frames.length; i++)
      if (p(this.frames[i])) return Promise.resolve(this.frames[i]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `timed out waiting for a frame; last frames: ${JSON.stringify(this.frames.slice(-5))}`,
          ),
        );
      }, timeoutMs);
      const waiter = {
        pred: p,
        from: Math.max(from, this.frames.length),
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends and waits for the answer frame. */
  async request(event: string, data: unknown, answer: string, timeoutMs = 5000): Promise<Frame> {
    const p = this.next((f) => f.event === answer || f.event === 'error', timeoutMs);
    this.send(event, data);
    return p;
  }

  /** Subscribes and waits for room.subscribed (throws on an error frame). */
  async subscribe(roomId: string, afterSeq?: number): Promise<Frame> {
    const from = this.frames.length;
    this.send('room.subscribe', afterSeq === undefined ? { roomId } : { roomId, afterSeq });
    const f = await this.waitFor(
      (x) =>
        (x.event === 'room.subscribed' && x.data?.roomId === roomId) ||
        (x.event === 'error' && x.data?.ref === 'room.subscribe'),
      5000,
      from,
    );
    if (f.event === 'error') throw new Error(`subscribe failed: ${JSON.stringify(f.data)}`);
    return f;
  }

  /** Sends a message and waits for its ack (or the error frame that refers to it). */
  async sendMessage(
    roomId: string,
    content: string,
    clientMsgId: string,
    timeoutMs = 10000,
  ): Promise<Frame> {
    const from = this.frames.length;
    this.send('message.send', { roomId, content, clientMsgId });
    return this.waitFor(
      (f) =>
        (f.event === 'message.ack' || f.event === 'error') &&
        (f.data?.clientMsgId === clientMsgId || f.data?.ref === clientMsgId),
      timeoutMs,
      from,
    );
  }

  /**
   * A round trip: ping, then wait for its pong. Every frame the server wrote to this socket
   * before it handled the ping has been received once this resolves (one TCP stream, in order).
   */
  async roundTrip(timeoutMs = 5000): Promise<void> {
    const from = this.frames.length;
    this.send('ping', {});
    await this.waitFor('pong', timeoutMs, from);
  }

  /** All message.new frames for a room received so far. */
  messages(roomId: string): ChatMessage[] {
    return this.frames
      .filter((f) => f.event === 'message.new' && f.data.roomId === roomId)
      .map((f) => f.data as ChatMessage);
  }

  /** Waits until `n` message.new frames for the room have arrived. */
  async waitForMessages(roomId: string, n: number, timeoutMs = 10000): Promise<ChatMessage[]> {
    await this.waitUntil(
      () => this.messages(roomId).length >= n,
      timeoutMs,
      () => `expected ${n} messages in ${roomId}, got ${this.messages(roomId).length}`,
    );
    return this.messages(roomId);
  }

  /** Waits until a message.new with this seq (or a later one) has arrived for the room. */
  async waitForSeq(roomId: string, seq: number, timeoutMs = 10000): Promise<ChatMessage[]> {
    await this.waitUntil(
      () => this.messages(roomId).some((m) => m.seq >= seq),
      timeoutMs,
      () => {
        const seqs = this.messages(roomId).map((m) => m.seq);
        return `expected seq ${seq} in ${roomId}; got ${seqs.length} messages, last ${seqs.slice(-3).join(',')}; closed: ${this.closeCode}`;
      },
    );
    return this.messages(roomId);
  }

  async waitUntil(cond: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(describe());
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  waitClosed(timeoutMs = 5000): Promise<number> {
    if (this.closeCode !== null) return Promise.resolve(this.closeCode);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `socket did not close; last frames: ${JSON.stringify(this.frames.slice(-3))}`,
            ),
          ),
        timeoutMs,
      );
      this.closeWaiters.push((code) => {
        clearTimeout(t);
        resolve(code);
      });
    });
  }

  /** Stops (or resumes) reading from the TCP socket, as a stalled client would. */
  pauseReading(): void {
    this.tcp().pause();
  }

  resumeReading(): void {
    this.tcp().resume();
  }

  private tcp(): Socket {
    // ws keeps the underlying net.Socket in a private field.
    return (this.socket as unknown as { _socket: Socket })._socket;
  }

  close(): void {
    if (
      this.socket.readyState === WebSocket.OPEN ||
      this.socket.readyState === WebSocket.CONNECTING
    )
      this.socket.close();
  }

  terminate(): void {
    this.socket.terminate();
  }
}

// ---- helpers for the WebSocket end-to-end suites ----

/** A one-time WebSocket ticket for the user's session (POST /api/auth/ws-ticket). */
export async function wsTicket(baseUrl: string, accessToken: string): Promise<string> {
  const res = await http(baseUrl, 'POST', '/api/auth/ws-ticket', { token: accessToken });
  if (res.status !== 200)
    throw new Error(`ws-ticket failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.ticket as string;
}

/** Opens /ws the way a browser does: a fresh ticket, then the upgrade. */
export async function connectWithTicket(
  t: { baseUrl: string; wsUrl: string },
  user: Pick<TestUser, 'accessToken'>,
  opts: Omit<ConnectOptions, 'ticket' | 'token'> = {},
): Promise<WsTestClient> {
  return WsTestClient.connect(t.wsUrl, {
    ...opts,
    ticket: await wsTicket(t.baseUrl, user.accessToken),
  });
}

/** One sample of a Prometheus metric from the app's /metrics (labels as `{a="b"}`), 0 when absent. */
export async function metricValue(baseUrl: string, name: string, labels = ''): Promise<number> {
  const res = await fetch(`${baseUrl}/metrics`);
  const text = await res.text();
  const key = `${name}${labels}`;
  for (const line of text.split('\n')) {
    if (line.startsWith(key + ' ')) return Number(line.slice(key.length + 1));
  }
  return 0;
}

/** Polls /metrics until the sample satisfies `pred`; answers the value (throws on timeout). */
export async function waitForMetric(
  baseUrl: string,
  name: string,
  labels: string,
  pred: (v: number) => boolean,
  timeoutMs = 5000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await metricValue(baseUrl, name, labels);
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`metric ${name}${labels} stayed at ${v}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs one SQL statement against the run's database (for checks the API cannot make). */
export async function queryDb<T = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Asserts that `seqs` is exactly from..to, each once, ascending; throws with the first deviation. */
export function assertExactRange(seqs: number[], from: number, to: number): void {
  const expectedLen = to - from + 1;
  for (let i = 0; i < Math.max(seqs.length, expectedLen); i++) {
    if (seqs[i] !== from + i) {
      throw new Error(
        `seq sequence deviates at index ${i}: expected ${i < expectedLen ? from + i : '(end)'}, got ${seqs[i]} ` +
          `(around: ${seqs.slice(Math.max(0, i - 3), i + 4).join(',')}; ${seqs.length} received, ${expectedLen} expected)`,
      );
    }
  }
}
