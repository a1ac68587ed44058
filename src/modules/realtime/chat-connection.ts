import type { WebSocket } from 'ws';
import type { RoomEvent } from '../../common/events/chat-events.js';
import type { Principal } from '../auth/principal.js';
import type { RoomSubscription } from './domain/room-subscription.js';

/** The TCP socket under a ws WebSocket (ws keeps it on a private field). */
type RawSocket = { cork(): void; uncork(): void; destroyed?: boolean };

// Connections corked during this turn of the event loop, uncorked together at its end: a burst
// of frames to one socket (several messages fanned out in one turn) leaves in one write.
const corked: ChatConnection[] = [];
let uncorkScheduled = false;
function uncorkAll(): void {
  uncorkScheduled = false;
  for (const conn of corked.splice(0)) conn.uncork();
}

/** Per-socket state on this instance. */
export class ChatConnection {
  private corkedRaw: RawSocket | null = null;
  /** bufferedAmount when this turn's cork began: what earlier turns left unsent. */
  private bufferedAtCork = 0;
  readonly subscriptions = new Map<string, RoomSubscription<RoomEvent>>();
  missedPongs = 0;
  closing = false;

  constructor(
    readonly id: string,
    readonly socket: WebSocket,
    readonly principal: Principal,
    private readonly maxBufferedBytes: number,
    private readonly onSlowReader: (conn: ChatConnection) => void,
  ) {}

  get userId(): string {
    return this.principal.userId;
  }

  /**
   * Writes a frame unless the socket is closing. A reader that lets its send buffer grow past
   * the bound is disconnected rather than allowed to grow the server's memory. Within a corked
   * turn the bound applies to what earlier turns left unsent: this turn's own burst (many
   * messages stored together) sits in the corked buffer until the turn ends, and says nothing
   * about the reader.
   */
  send(frame: string | Buffer): boolean {
    if (this.closing || this.socket.readyState !== this.socket.OPEN) return false;
    const stuck = this.corkedRaw ? this.bufferedAtCork : this.socket.bufferedAmount;
    if (stuck > this.maxBufferedBytes) {
      this.onSlowReader(this);
      return false;
    }
    this.cork();
    // A Buffer is sent as is (no re-encoding per subscriber), still as a text frame.
    this.socket.send(frame, { binary: false });
    return true;
  }

  private cork(): void {
    if (this.corkedRaw) return;
    const raw = (this.socket as unknown as { _socket?: RawSocket })._socket;
    if (!raw) return;
    this.bufferedAtCork = this.socket.bufferedAmount;
    raw.cork();
    this.corkedRaw = raw;
    corked.push(this);
    if (!uncorkScheduled) {
      uncorkScheduled = true;
      setImmediate(uncorkAll);
    }
  }

  /** @internal called at the end of the turn. */
  uncork(): void {
    const raw = this.corkedRaw;
    this.corkedRaw = null;
    if (raw && !raw.destroyed) raw.uncork();
  }

  /** Resolves when the send buffer is below a quarter of the bound (or the socket is gone). */
  async writable(): Promise<void> {
    const low = this.maxBufferedBytes / 4;
    while (
      !this.closing &&
      this.socket.readyState === this.socket.OPEN &&
      this.socket.bufferedAmount > low
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    for (const sub of this.subscriptions.values()) sub.close();
    try {
      this.socket.close(code, reason);
    } catch {
      this.socket.terminate();
    }
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.socket.terminate(), 2000).unref();
  }
}
