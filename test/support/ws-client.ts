import WebSocket from 'ws';

export interface Frame {
  event: string;
  data: any;
}

/** Outcome of an upgrade the server refused: the HTTP status it answered with. */
export class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with HTTP ${status}`);
  }
}

/**
 * A real WebSocket client for tests: records every frame, and lets a test wait for the next
 * frame matching a predicate (with a timeout, so a missing frame fails instead of hanging).
 */
export class WsTestClient {
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  closeReason = '';
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void; from: number }[] =
    [];
  private closeWaiters: ((code: number) => void)[] = [];
  private cursor = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      const f = JSON.parse(raw.toString()) as Frame;
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
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      for (const w of this.closeWaiters) w(code);
      this.closeWaiters = [];
    });
  }

  static connect(
    url: string,
    opts: {
      token?: string;
      ticket?: string;
      origin?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<WsTestClient> {
    const u = new URL(url);
    if (opts.ticket) u.searchParams.set('ticket', opts.ticket);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.origin) headers.origin = opts.origin;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(u.toString(), { headers });
      const client = new WsTestClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => {
        reject(new UpgradeRefused(res.statusCode ?? 0));
        socket.terminate();
      });
      socket.once('error', (err) => reject(err));
    });
  }

  send(event: string, data: unknown): void {
    this.socket.send(JSON.stringify({ event, data }));
  }

  sendRaw(raw: string | Buffer): void {
    this.socket.send(raw);
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

  /** Sends and waits for the answer frame. */
  async request(event: string, data: unknown, answer: string, timeoutMs = 5000): Promise<Frame> {
    const p = this.next((f) => f.event === answer || f.event === 'error', timeoutMs);
    this.send(event, data);
    return p;
  }

  /** All message.new frames for a room received so far. */
  messages(roomId: string): any[] {
    return this.frames
      .filter((f) => f.event === 'message.new' && f.data.roomId === roomId)
      .map((f) => f.data);
  }

  /** Waits until `n` message.new frames for the room have arrived. */
  async waitForMessages(roomId: string, n: number, timeoutMs = 10000): Promise<any[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages(roomId).length < n) {
      if (Date.now() > deadline)
        throw new Error(`expected ${n} messages in ${roomId}, got ${this.messages(roomId).length}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.messages(roomId);
  }

  waitClosed(timeoutMs = 5000): Promise<number> {
    if (this.closeCode !== null) return Promise.resolve(this.closeCode);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.closeWaiters.push((code) => {
        clearTimeout(t);
        resolve(code);
      });
    });
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
