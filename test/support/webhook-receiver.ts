// A real HTTP webhook receiver on loopback for the bots suites: it checks every request's
// signature the way a bot's author would (HMAC-SHA256 keyed with SHA-256 of the bot token, over
// "timestamp.body"), records what arrived, and answers as the test tells it (at once, late,
// with an error status, or not until released).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ReceivedDelivery {
  deliveryId: string;
  /** X-Chat-Timestamp, unix seconds. */
  timestamp: number;
  signatureOk: boolean;
  event: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON as sent; tests assert on it
  body: any;
  rawBody: string;
  headers: IncomingMessage['headers'];
  path: string;
  receivedAt: number;
  /** The status answered (null while held, or when the connection went away first). */
  answered: number | null;
}

/** How to answer one request: a status (after `delayMs`), or 'hold' until released. */
export type Answer = { status: number; delayMs?: number } | 'hold';

/** Verifies a signature header as a receiver would; true when it matches. */
export function verifySignature(
  token: string,
  timestamp: string,
  rawBody: string,
  header: string | undefined,
): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const key = createHash('sha256').update(token, 'utf8').digest();
  const expected = createHmac('sha256', key).update(`${timestamp}.${rawBody}`, 'utf8').digest();
  const got = Buffer.from(header.slice('sha256='.length), 'hex');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  /** Requests whose signature matched none of the accepted tokens. */
  badSignatures = 0;
  /** Tokens whose signatures are accepted (a rotation adds the new one). */
  readonly tokens = new Set<string>();
  answer: (d: ReceivedDelivery) => Answer = () => ({ status: 200 });
  private held: { d: ReceivedDelivery; res: ServerResponse }[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new WebhookReceiver(server, (server.address() as { port: number }).port);
    server.on('request', (req: IncomingMessage, res: ServerResponse) =>
      receiver.onRequest(req, res),
    );
    server.on('connection', (s: Socket) => {
      receiver.sockets.add(s);
      s.once('close', () => receiver.sockets.delete(s));
    });
    return receiver;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Deliveries whose signature verified, by delivery id. */
  verified(): ReceivedDelivery[] {
    return this.received.filter((d) => d.signatureOk);
  }

  /** Message ids seen (from verified deliveries) → how many requests carried each. */
  messageCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const d of this.verified()) {
      const id = String(d.body?.message?.id);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  /** Answers every held request with `status` now. */
  releaseHeld(status = 200): number {
    const held = this.held;
    this.held = [];
    for (const { d, res } of held) {
      if (res.destroyed || res.writableEnded) continue;
      d.answered = status;
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    }
    return held.length;
  }

  get heldCount(): number {
    return this.held.length;
  }

  async close(): Promise<void> {
    this.releaseHeld(503);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => {
        const v = req.headers[name];
        return typeof v === 'string' ? v : undefined;
      };
      const ts = header('x-chat-timestamp') ?? '';
      const signature = header('x-chat-signature');
      const signatureOk =
        req.method === 'POST' &&
        /^\d+$/.test(ts) &&
        [...this.tokens].some((t) => verifySignature(t, ts, rawBody, signature));
      let body: unknown = null;
      try {
        body = JSON.parse(rawBody);
      } catch {
        /* recorded as is */
      }
      const d: ReceivedDelivery = {
        deliveryId: header('x-chat-delivery-id') ?? '',
        timestamp: Number(ts),
        signatureOk,
        event: header('x-chat-event'),
        body,
        rawBody,
        headers: req.headers,
        path: req.url ?? '',
        receivedAt: Date.now(),
        answered: null,
      };
      this.received.push(d);
      if (!signatureOk) {
        this.badSignatures++;
        d.answered = 401;
        res.writeHead(401).end();
        return;
      }
      const a = this.answer(d);
      if (a === 'hold') {
        this.held.push({ d, res });
        return;
      }
      const send = () => {
        if (res.destroyed) return;
        d.answered = a.status;
        res.writeHead(a.status, { 'content-type': 'text/plain' }).end('ok');
      };
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  }
}
