// ChatClient: one logged-in user's connection to the service, for browsers and Node 20+.
import createFetchClient, { type Client as FetchClient, type Middleware } from 'openapi-fetch';
import type { paths } from './openapi.js';
import { ApiError, sessionFrom, type AuthResponse, type Session } from './auth.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import {
  CloseCodes,
  isRoomEventKind,
  type ClientEvents,
  type RoomEventKind,
  type ServerEvents,
} from './events.js';

/** The part of the WebSocket API the client uses: browsers' WebSocket and `ws` both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Events of the client itself, next to the server's. */
export interface ClientOnlyEvents {
  /** The connection's state changed; `retryInMs` when a reconnect is scheduled. */
  state: { state: ConnectionState; attempt: number; retryInMs?: number; error?: string };
  /** New tokens (log in, refresh): persist `session.refreshToken` to survive a page reload. */
  session: { session: Session | null };
  /** The server no longer keeps the events after the room's cursor: reload the room. */
  resync: { roomId: string };
  /** A send failed for good (the server refused it): it left the outbox. */
  'send.failed': { roomId: string; clientMsgId: string; code: string; message: string };
}

export type ChatEvents = ServerEvents & ClientOnlyEvents;
export type ChatEventName = keyof ChatEvents;
type Handler<E extends ChatEventName> = (data: ChatEvents[E]) => void;

export interface ChatClientOptions {
  /** The service's origin, e.g. "http://localhost:3000"; in a browser, default: the page's. */
  baseUrl?: string;
  /** Node 20 has no global WebSocket: pass `ws`'s. */
  WebSocket?: WebSocketConstructor;
  fetch?: typeof fetch;
  backoff?: BackoffOptions;
  /** Refresh this long before the access token expires (default 60 s, at most half its life). */
  refreshSkewMs?: number;
  /** Application-level ping interval; a missing pong within it closes the socket (default 25 s). */
  heartbeatMs?: number;
  /**
   * A send written on an open connection and neither acknowledged nor refused within this time is
   * written again, with the same clientMsgId (the server stores it once): the server may have
   * dropped it (over its frame rate limit) without a word. Default 10 s.
   */
  resendAfterMs?: number;
}

export interface SendOptions {
  threadRootId?: string;
  /** Default: a fresh id. The server stores one message per sender and clientMsgId. */
  clientMsgId?: string;
  /** Uploads to attach (see `upload`). */
  attachmentIds?: string[];
}

export type Ack = ServerEvents['message.ack'];

interface OutboxEntry {
  frame: ClientEvents['message.send'];
  resolve: (ack: Ack) => void;
  reject: (err: Error) => void;
  /** When to write it again if no ack or refusal came (epoch ms); unset until written. */
  resendAt?: number;
  /** Writes again on this connection: the back-off after a temporary refusal grows with it. */
  retries: number;
}

interface Subscription {
  /** eventSeq of the last room event delivered for this room; undefined until known. */
  cursor: number | undefined;
}

/** A send the server refused (an `error` frame that names its clientMsgId). */
export class SendError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly clientMsgId: string,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

const OPEN = 1;

/** An id the server accepts as clientMsgId (also where crypto.randomUUID is missing: http pages). */
export function newClientMsgId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `c-${Date.now().toString(36)}-${hex}`;
}

export class ChatClient {
  /** Typed REST calls (openapi-fetch over the service's OpenAPI document), bearer token added. */
  readonly api: FetchClient<paths>;
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly WS: WebSocketConstructor | undefined;
  private currentSession: Session | null = null;
  private refreshing: Promise<Session> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private socket: WebSocketLike | null = null;
  private wanted = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  /** Armed for the earliest resendAt of the outbox, only while the outbox holds a send. */
  private resendTimer: ReturnType<typeof setTimeout> | undefined;
  private resendTimerAt = Infinity;
  /** See ChatClientOptions.resendAfterMs. */
  private readonly resendAfterMs: number;
  private awaitingPong = false;
  private connState: ConnectionState = 'idle';
  private readonly subs = new Map<string, Subscription>();
  private readonly outbox = new Map<string, OutboxEntry>();
  private readonly handlers = new Map<ChatEventName, Set<Handler<never>>>();

  constructor(private readonly opts: ChatClientOptions = {}) {
    this.resendAfterMs = opts.resendAfterMs ?? 10_000;
    const loc = (globalThis as { location?: { origin: string } }).location;
    const base = opts.baseUrl ?? loc?.origin;
    if (!base) throw new Error('ChatClient: baseUrl is required outside a browser');
    this.baseUrl = base.replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.WS =
      opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? undefined;
    this.api = createFetchClient<paths>({ baseUrl: this.baseUrl, fetch: this.fetchFn });
    this.api.use(this.authMiddleware());
  }

  // ---- events ----------------------------------------------------------------------------

  /** Listens to a server event or a client event; returns the function that stops listening. */
  on<E extends ChatEventName>(event: E, handler: Handler<E>): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  private emit<E extends ChatEventName>(event: E, data: ChatEvents[E]): void {
    for (const h of this.handlers.get(event) ?? []) {
      try {
        (h as Handler<E>)(data);
      } catch (err) {
        console.error(`ChatClient: a ${event} handler threw`, err);
      }
    }
  }

  // ---- session -----------------------------------------------------------------------------

  get session(): Session | null {
    return this.currentSession;
  }

  get state(): ConnectionState {
    return this.connState;
  }

  async register(body: { username: string; email: string; password: string }): Promise<Session> {
    return this.authCall('/api/auth/register', body);
  }

  /** `login` is a username or an email. */
  async login(body: { login: string; password: string }): Promise<Session> {
    return this.authCall('/api/auth/login', body);
  }

  /** Resumes a session from a stored refresh token (spends it: the new one comes in `session`). */
  async resume(refreshToken: string): Promise<Session> {
    return this.authCall('/api/auth/refresh', { refreshToken });
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async accessToken(): Promise<string> {
    const s = this.requireSession();
    if (Date.now() >= s.expiresAt - this.skewFor(s)) return (await this.refresh()).accessToken;
    return s.accessToken;
  }

  /** Rotates the token pair now; concurrent callers share one request. */
  refresh(): Promise<Session> {
    if (!this.refreshing) {
      const token = this.requireSession().refreshToken;
      this.refreshing = this.authCall('/api/auth/refresh', { refreshToken: token }).finally(
        () => (this.refreshing = null),
      );
    }
    return this.refreshing;
  }

  /** Ends the session on the server and closes the connection. */
  async logout(): Promise<void> {
    const s = this.currentSession;
    this.disconnect();
    this.setSession(null);
    if (s) {
      await this.fetchFn(`${this.baseUrl}/api/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.accessToken}` },
        body: JSON.stringify({ refreshToken: s.refreshToken }),
      }).catch(() => undefined);
    }
  }

  private async authCall(path: string, body: unknown): Promise<Session> {
    const res = await this.fetchFn(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) {
      const err = await ApiError.from(res);
      // A refresh token that no longer works ends the session.
      if (path.endsWith('/refresh') && (res.status === 401 || res.status === 403))
        this.setSession(null);
      throw err;
    }
    const session = sessionFrom((await res.json()) as AuthResponse);
    this.setSession(session);
    return session;
  }

  private skewFor(s: Session): number {
    const life = Math.max(0, s.expiresAt - Date.now());
    // The default never refreshes a short-lived token in its first half; a chosen skew is kept.
    return this.opts.refreshSkewMs ?? Math.min(60_000, life / 2);
  }

  private setSession(s: Session | null): void {
    this.currentSession = s;
    clearTimeout(this.refreshTimer);
    if (s) {
      const due = Math.max(0, s.expiresAt - this.skewFor(s) - Date.now());
      this.refreshTimer = setTimeout(() => {
        // A failure here is retried by the next call that needs a token.
        this.refresh().catch(() => undefined);
      }, due);
      (this.refreshTimer as { unref?: () => void }).unref?.();
    }
    this.emit('session', { session: s });
  }

  private requireSession(): Session {
    if (!this.currentSession) throw new ApiError(401, 'NOT_LOGGED_IN', 'not logged in', null);
    return this.currentSession;
  }

  private authMiddleware(): Middleware {
    return {
      onRequest: async ({ request }) => {
        if (!this.currentSession) return request;
        request.headers.set('authorization', `Bearer ${await this.accessToken()}`);
        return request;
      },
    };
  }

  // ---- connection --------------------------------------------------------------------------

  /** Opens the WebSocket and keeps it open (reconnecting with back-off) until disconnect(). */
  connect(): void {
    this.requireSession();
    if (this.wanted) return;
    this.wanted = true;
    this.attempt = 0;
    void this.open();
  }

  /** Closes the WebSocket for good; subscriptions and the outbox are kept for connect(). */
  disconnect(): void {
    this.wanted = false;
    clearTimeout(this.reconnectTimer);
    this.stopSocketTimers();
    const s = this.socket;
    this.socket = null;
    s?.close(1000, 'client closed');
    this.setState('closed');
  }

  /** Drops the current socket at once and reconnects (e.g. the browser says it is back online). */
  reconnectNow(): void {
    if (!this.wanted) return;
    clearTimeout(this.reconnectTimer);
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = s.onmessage = s.onerror = null;
      s.close(4000, 'reconnecting');
    }
    this.stopSocketTimers();
    void this.open();
  }

  /** Closes the current socket as if the network dropped it; the client then reconnects. */
  dropConnection(): void {
    const s = this.socket;
    if (!s) return;
    s.onclose = s.onmessage = s.onerror = null;
    s.close(4000, 'dropped');
    this.onSocketClosed(s, 4000, 'dropped');
  }

  private async open(): Promise<void> {
    if (!this.wanted) return;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let ws: WebSocketLike;
    try {
      if (!this.WS) throw new Error('no WebSocket: pass options.WebSocket (e.g. from "ws")');
      const token = await this.accessToken();
      // A fresh one-time ticket for every attempt: tokens never travel in the URL.
      const res = await this.fetchFn(`${this.baseUrl}/api/auth/ws-ticket`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.status === 401) {
        await this.refresh();
        throw new Error('ticket refused: token refreshed');
      }
      if (!res.ok) throw await ApiError.from(res);
      const { ticket } = (await res.json()) as { ticket: string };
      if (!this.wanted) return;
      const url = `${this.baseUrl.replace(/^http/, 'ws')}/ws?ticket=${encodeURIComponent(ticket)}`;
      ws = new this.WS(url);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'NOT_LOGGED_IN') {
        this.wanted = false;
        this.setState('closed', String(err));
        return;
      }
      this.scheduleReconnect(err instanceof Error ? err.message : String(err));
      return;
    }
    this.socket = ws;
    ws.onopen = () => this.onSocketOpen(ws);
    ws.onmessage = (ev) => this.onFrame(ws, ev.data);
    ws.onclose = (ev) => this.onSocketClosed(ws, ev.code, ev.reason);
    ws.onerror = () => undefined; // onclose follows and decides
  }

  private onSocketOpen(ws: WebSocketLike): void {
    if (ws !== this.socket) return;
    this.attempt = 0;
    this.setState('open');
    this.startSocketTimers(ws);
    // Resume every room from its cursor, then resend what was never acknowledged, in order.
    for (const [roomId, sub] of this.subs)
      this.write(ws, 'room.subscribe', subscribeFrame(roomId, sub));
    for (const entry of this.outbox.values()) {
      entry.retries = 0;
      this.writeSend(ws, entry);
    }
  }

  private onSocketClosed(ws: WebSocketLike, code: number, reason: string): void {
    if (ws !== this.socket) return;
    this.socket = null;
    this.stopSocketTimers();
    if (!this.wanted) return;
    if (code === CloseCodes.sessionEnded) {
      // Logged out elsewhere, token family revoked, or the account disabled: try the refresh
      // token once; if it no longer works the session is over.
      this.refresh().then(
        () => this.scheduleReconnect(`closed ${code} ${reason}`),
        () => {
          this.wanted = false;
          this.setState('closed', `session ended: ${reason}`);
        },
      );
      return;
    }
    this.scheduleReconnect(`closed ${code}${reason ? ` ${reason}` : ''}`);
  }

  private scheduleReconnect(error: string): void {
    if (!this.wanted) return;
    const delay = backoffDelay(this.attempt, this.opts.backoff);
    this.attempt++;
    this.setState('reconnecting', error, delay);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.open(), delay);
  }

  private setState(state: ConnectionState, error?: string, retryInMs?: number): void {
    this.connState = state;
    this.emit('state', { state, attempt: this.attempt, retryInMs, error });
  }

  /** The connection's timers: the heartbeat, and the resend of sends left without an answer. */
  private startSocketTimers(ws: WebSocketLike): void {
    this.stopSocketTimers();
    this.awaitingPong = false;
    const every = this.opts.heartbeatMs ?? 25_000;
    this.heartbeatTimer = setInterval(() => {
      if (ws !== this.socket) return;
      if (this.awaitingPong) {
        // No pong for a whole interval: the connection is dead even if no close came.
        this.dropConnection();
        return;
      }
      this.awaitingPong = true;
      this.write(ws, 'ping', {});
    }, every);
    (this.heartbeatTimer as { unref?: () => void }).unref?.();
  }

  private stopSocketTimers(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.disarmResend();
  }

  /**
   * Makes sure the resend runs by `at`. One timer for the whole outbox, armed only while a send
   * waits for its answer (an idle client wakes for nothing): an earlier time re-arms it, a later
   * one is picked up when it fires.
   */
  private armResend(at: number): void {
    if (this.resendTimerAt <= at) return; // Infinity while disarmed
    clearTimeout(this.resendTimer);
    this.resendTimerAt = at;
    this.resendTimer = setTimeout(() => this.onResendTimer(), Math.max(0, at - Date.now()));
    (this.resendTimer as { unref?: () => void }).unref?.();
  }

  private disarmResend(): void {
    clearTimeout(this.resendTimer);
    this.resendTimer = undefined;
    this.resendTimerAt = Infinity;
  }

  private onResendTimer(): void {
    this.disarmResend();
    if (this.socket) this.resendDue(this.socket);
    let next = Infinity;
    for (const entry of this.outbox.values())
      if (entry.resendAt !== undefined && entry.resendAt < next) next = entry.resendAt;
    if (this.socket && next < Infinity) this.armResend(next);
  }

  /** A send left the outbox (answered or refused for good). */
  private settled(clientMsgId: string): void {
    this.outbox.delete(clientMsgId);
    if (this.outbox.size === 0) this.disarmResend();
  }

  /**
   * Writes again, oldest first, the sends whose answer is overdue (or whose temporary refusal's
   * back-off is over). Sends written after one of them may be stored before it; none is stored
   * twice.
   */
  private resendDue(ws: WebSocketLike): void {
    const now = Date.now();
    for (const entry of this.outbox.values())
      if (entry.resendAt !== undefined && entry.resendAt <= now) {
        entry.retries++;
        this.writeSend(ws, entry);
      }
  }

  private writeSend(ws: WebSocketLike, entry: OutboxEntry): void {
    if (this.write(ws, 'message.send', entry.frame)) {
      entry.resendAt = Date.now() + this.resendAfterMs;
      this.armResend(entry.resendAt);
    }
  }

  private write<E extends keyof ClientEvents>(
    ws: WebSocketLike,
    event: E,
    data: ClientEvents[E],
  ): boolean {
    if (ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify({ event, data }));
    return true;
  }

  private writeNow<E extends keyof ClientEvents>(event: E, data: ClientEvents[E]): boolean {
    return this.socket ? this.write(this.socket, event, data) : false;
  }

  private onFrame(ws: WebSocketLike, raw: unknown): void {
    if (ws !== this.socket || typeof raw !== 'string') return;
    let frame: { event: string; data: Record<string, unknown> };
    try {
      frame = JSON.parse(raw) as typeof frame;
    } catch {
      return;
    }
    const { event, data } = frame;
    this.awaitingPong = false; // any frame proves the connection is alive
    if (isRoomEventKind(event)) {
      const roomId = data.roomId as string;
      const eventSeq = data.eventSeq as number;
      const sub = this.subs.get(roomId);
      if (sub && typeof eventSeq === 'number') {
        // Exactly once: a replay after a reconnect never hands the app an event twice.
        if (sub.cursor !== undefined && eventSeq <= sub.cursor) return;
        sub.cursor = eventSeq;
      }
      this.emit(event, data as unknown as ServerEvents[RoomEventKind]);
      return;
    }
    switch (event) {
      case 'room.subscribed': {
        const sub = this.subs.get(data.roomId as string);
        // Subscribed without a cursor: live from here on.
        if (sub && sub.cursor === undefined) sub.cursor = data.lastEventSeq as number;
        break;
      }
      case 'message.ack': {
        const ack = data as unknown as Ack;
        const entry = this.outbox.get(ack.clientMsgId);
        if (entry) {
          this.settled(ack.clientMsgId);
          entry.resolve(ack);
        }
        break;
      }
      case 'error': {
        const err = data as unknown as ServerEvents['error'];
        const entry = err.ref ? this.outbox.get(err.ref) : undefined;
        // Refused for now: written again after a jittered back-off, on this connection.
        if (entry && RETRYABLE.has(err.code)) {
          entry.resendAt = Date.now() + backoffDelay(entry.retries, this.opts.backoff);
          this.armResend(entry.resendAt);
        }
        if (entry && err.ref && !RETRYABLE.has(err.code)) {
          this.settled(err.ref);
          entry.reject(new SendError(err.code, err.message, err.ref));
          this.emit('send.failed', {
            roomId: entry.frame.roomId,
            clientMsgId: err.ref,
            code: err.code,
            message: err.message,
          });
        }
        if (err.code === 'RESYNC_REQUIRED' && err.ref && this.subs.has(err.ref)) {
          const sub = this.subs.get(err.ref)!;
          sub.cursor = undefined;
          this.emit('resync', { roomId: err.ref });
          this.writeNow('room.subscribe', { roomId: err.ref });
        }
        break;
      }
      case 'room.unsubscribed': {
        const reason = data.reason as string | undefined;
        if (reason && reason !== 'requested') this.subs.delete(data.roomId as string);
        break;
      }
      case 'room.deleted':
        this.subs.delete(data.roomId as string);
        break;
    }
    this.emit(event as keyof ServerEvents, data as never);
  }

  // ---- rooms and messages --------------------------------------------------------------------

  /**
   * Follows a room's events from `afterEventSeq` (default: from now). The subscription survives
   * reconnects: each one resumes from the last event delivered.
   */
  subscribe(roomId: string, afterEventSeq?: number): void {
    const existing = this.subs.get(roomId);
    const sub: Subscription = { cursor: afterEventSeq ?? existing?.cursor };
    this.subs.set(roomId, sub);
    this.writeNow('room.subscribe', subscribeFrame(roomId, sub));
  }

  unsubscribe(roomId: string): void {
    if (this.subs.delete(roomId)) this.writeNow('room.unsubscribe', { roomId });
  }

  /** eventSeq of the last event delivered for a subscribed room. */
  cursor(roomId: string): number | undefined {
    return this.subs.get(roomId)?.cursor;
  }

  /**
   * Sends a message. It waits in the outbox until the server acknowledges it and is resent with
   * the same clientMsgId after a reconnect (the server stores it once). Resolves with the ack.
   */
  send(roomId: string, content: string, opts: SendOptions = {}): Promise<Ack> {
    const clientMsgId = opts.clientMsgId ?? newClientMsgId();
    const frame: ClientEvents['message.send'] = { roomId, content, clientMsgId };
    if (opts.threadRootId) frame.threadRootId = opts.threadRootId;
    if (opts.attachmentIds?.length) frame.attachmentIds = opts.attachmentIds;
    return new Promise<Ack>((resolve, reject) => {
      const entry: OutboxEntry = { frame, resolve, reject, retries: 0 };
      this.outbox.set(clientMsgId, entry);
      if (this.socket) this.writeSend(this.socket, entry);
    });
  }

  /** Sends not yet acknowledged, oldest first. */
  pending(): ClientEvents['message.send'][] {
    return [...this.outbox.values()].map((e) => e.frame);
  }

  typing(roomId: string): void {
    this.writeNow('typing', { roomId });
  }

  /** Moves the read marker (it never moves back); read.updated follows on every socket. */
  async markRead(roomId: string, seq: number): Promise<void> {
    if (this.writeNow('room.read', { roomId, seq })) return;
    const { error, response } = await this.api.POST('/api/rooms/{id}/read', {
      params: { path: { id: roomId } },
      body: { seq },
    });
    if (error !== undefined) throw new ApiError(response.status, undefined, 'read failed', error);
  }

  /**
   * Uploads a file for a room and answers its attachment id, to pass to `send` as
   * `attachmentIds`: declares it, then PUTs the bytes to the upload URL it was given (the object
   * store itself when the service has one, else the service), with no bearer token.
   */
  async upload(
    roomId: string,
    file: { filename: string; contentType: string; body: Blob | Uint8Array },
  ): Promise<string> {
    const size = file.body instanceof Uint8Array ? file.body.byteLength : file.body.size;
    const { data, error, response } = await this.api.POST('/api/rooms/{id}/attachments', {
      params: { path: { id: roomId } },
      body: { filename: file.filename, contentType: file.contentType, size },
    });
    if (error !== undefined || !data)
      throw new ApiError(response.status, codeOf(error), 'upload refused', error);
    const put = await fetch(new URL(data.upload.url, this.baseUrl), {
      method: data.upload.method,
      headers: data.upload.headers,
      body: file.body as NonNullable<RequestInit['body']>,
    });
    if (!put.ok) {
      const body: unknown = await put.json().catch(() => undefined);
      throw new ApiError(put.status, codeOf(body), 'upload failed', body);
    }
    return data.id;
  }
}

function codeOf(body: unknown): string | undefined {
  const code = (body as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Error codes after which a send stays in the outbox and is written again after a back-off. */
const RETRYABLE = new Set(['RATE_LIMITED', 'UNAVAILABLE', 'INTERNAL_ERROR']);

function subscribeFrame(roomId: string, sub: Subscription): ClientEvents['room.subscribe'] {
  return sub.cursor === undefined ? { roomId } : { roomId, afterEventSeq: sub.cursor };
}
