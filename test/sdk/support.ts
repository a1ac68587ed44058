// Helpers for the SDK suites: a TCP proxy that can cut every connection at once (a network that
// drops, no close frame) or point at another port (a restarted service), and SDK clients in Node.
import { createServer, connect, type Server, type Socket } from 'node:net';
import WebSocket from 'ws';
import { ChatClient, type ChatClientOptions } from '../../packages/sdk/src/index.js';
import { uniqueName } from '../support/http.js';

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private down = false;
  private holding = false;
  private constructor(
    private readonly server: Server,
    readonly port: number,
    private target: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const holder: { proxy?: TcpProxy } = {};
    const server = createServer((client) => holder.proxy!.accept(client));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    holder.proxy = new TcpProxy(server, (server.address() as { port: number }).port, targetPort);
    return holder.proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private accept(client: Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!this.holding) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Cuts every open connection, both ways, without a WebSocket close frame. */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
    this.holding = false;
  }

  /**
   * From now until the next cut, what the server sends is swallowed (client frames still reach
   * it): sends the server stores and acks stay unacked on the client side.
   */
  holdReplies(): void {
    this.holding = true;
  }

  /** While down, new connections are refused (reset at once) and open ones are cut. */
  setDown(down: boolean): void {
    this.down = down;
    if (down) this.dropAll();
  }

  retarget(port: number): void {
    this.target = port;
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A ChatClient in Node: `ws` as its WebSocket, quick reconnects for tests. */
export function newClient(baseUrl: string, opts: ChatClientOptions = {}): ChatClient {
  return new ChatClient({
    baseUrl,
    WebSocket: WebSocket as unknown as ChatClientOptions['WebSocket'],
    backoff: { initialMs: 100, maxMs: 1_000 },
    heartbeatMs: 5_000,
    ...opts,
  });
}

/** Registers a fresh user through the SDK. */
export async function signUp(client: ChatClient): Promise<{ username: string; password: string }> {
  const username = uniqueName('sdk');
  const password = 'correct horse battery';
  await client.register({ username, email: `${username}@example.test`, password });
  return { username, password };
}

/** Resolves once the client's connection is open. */
export function whenOpen(client: ChatClient): Promise<void> {
  if (client.state === 'open') return Promise.resolve();
  return new Promise((resolve) => {
    const off = client.on('state', ({ state }) => {
      if (state === 'open') {
        off();
        resolve();
      }
    });
  });
}
