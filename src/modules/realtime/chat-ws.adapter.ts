import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Observable } from 'rxjs';
import type { WebSocket, WebSocketServer } from 'ws';
import { DomainError } from '../../common/errors/domain-error.js';
import { describeViolation, findInputViolation } from '../../common/http/input-limits.js';
import { TokenBucket } from '../../common/rate-limit/token-bucket.js';
import type { Principal } from '../auth/principal.js';
import { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import { markClose, reasonForSocketError } from './ws-close-reason.js';
import { CloseCodes, frame } from './ws-protocol.js';
import { WsUpgradeAuth } from './ws-upgrade-auth.js';

export interface ChatWsAdapterOptions {
  maxPayload: number;
  ratePerSec: number;
  rateBurst: number;
  /** null: any Origin. */
  allowedOrigins: string[] | null;
}

export const PRINCIPAL = Symbol('principal');
export type AuthedRequest = IncomingMessage & { [PRINCIPAL]?: Principal };

interface MessageHandler {
  message: unknown;
  callback: (data: unknown, event: string) => unknown;
}

interface BoundHandler {
  handler: MessageHandler;
  transform: (data: unknown) => Observable<unknown>;
}

type VerifyCallback = (
  ok: boolean,
  code?: number,
  message?: string,
  headers?: Record<string, string>,
) => void;

/** The contract's error body for a refused upgrade, as JSON (ws's own answer is text/html). */
function refusalBody(status: number, code: string, message: string): string {
  return JSON.stringify({ statusCode: status, error: STATUS_CODES[status], message, code });
}

/**
 * Answers a refused upgrade on the raw socket (a handshake ws itself found malformed): the
 * same JSON body as every other refusal.
 */
function writeRefusal(socket: Duplex, status: number, code: string, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = refusalBody(status, code, message);
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body,
  );
}

/**
 * A page served from this host opening its own /ws (browsers send an Origin on every upgrade):
 * never a cross-site request, so it needs no allowlist entry ("none but same-origin").
 */
function isSameOrigin(origin: string, req: IncomingMessage): boolean {
  try {
    return new URL(origin).host === req.headers.host?.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Nest's ws adapter with the contract's edge rules:
 * - the caller is authenticated and the Origin checked before the upgrade completes
 *   (a refusal is an HTTP 401/403, never an accepted-then-ignored socket);
 * - `maxPayload` from config (ws's own default is 100 MiB; past it ws closes with 1009);
 * - bad frames get an `error` frame and the connection stays open;
 * - a per-connection token bucket; a client that keeps flooding is closed with 1008.
 */
export class ChatWsAdapter extends WsAdapter {
  private readonly log = new Logger('ChatWsAdapter');
  private readonly buckets = new WeakMap<WebSocket, { bucket: TokenBucket; strikes: number }>();
  private readonly handlersOf = new WeakMap<WebSocket, Map<string, BoundHandler>>();

  private readonly metrics: ChatMetrics;
  private readonly upgradeAuth: WsUpgradeAuth;

  constructor(
    app: INestApplicationContext,
    private readonly opts: ChatWsAdapterOptions,
  ) {
    super(app);
    this.metrics = app.get(ChatMetrics, { strict: false });
    this.upgradeAuth = app.get(WsUpgradeAuth, { strict: false });
  }

  /**
   * Nest logs every client socket error at error level with a stack. A client's broken or
   * oversized frame is the client's doing, not a server fault: ws closes that socket itself
   * (1009, 1007, 1002); the reason is recorded for the close log and metric, and the error
   * itself goes to debug. Errors of the server itself stay errors.
   */
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('connection', (ws: WebSocket) =>
      ws.on('error', (err: Error & { code?: string }) => {
        const reason = reasonForSocketError(err);
        markClose(ws, reason);
        this.log.debug({ reason, wsError: err.code, message: err.message }, 'ws client error');
      }),
    );
    server.on('error', (err: Error) => this.log.error(err));
    return server;
  }

  override create(port: number, options: Record<string, unknown> = {}): unknown {
    const server = super.create(port, {
      ...options,
      maxPayload: this.opts.maxPayload,
      perMessageDeflate: false,
      verifyClient: (info: { origin: string; req: IncomingMessage }, cb: VerifyCallback) => {
        void this.verify(info, cb);
      },
    }) as WebSocketServer;
    // A handshake ws finds malformed (no Sec-WebSocket-Key, a bad version): with a listener
    // here, ws leaves the answer to us instead of writing its text/html one.
    server.on('wsClientError', (err: Error, socket: Duplex, req: IncomingMessage) => {
      this.refused(req, 400, 'BAD_UPGRADE', err.message);
      writeRefusal(socket, 400, 'BAD_UPGRADE', err.message);
    });
    return server;
  }

  /** Counts and logs a refused upgrade (info: a refusal is the edge working, not a fault). */
  private refused(req: IncomingMessage, status: number, code: string, message: string): void {
    this.metrics.wsUpgradesRefused.inc({ reason: code.toLowerCase() });
    this.log.log(
      { status, code, reason: message, ip: req.socket.remoteAddress, origin: req.headers.origin },
      'ws upgrade refused',
    );
  }

  /** Refuses the upgrade with the contract's JSON error body. */
  private refuse(
    cb: VerifyCallback,
    req: IncomingMessage,
    status: number,
    code: string,
    message: string,
  ): void {
    this.refused(req, status, code, message);
    cb(false, status, refusalBody(status, code, message), {
      'Content-Type': 'application/json; charset=utf-8',
    });
  }

  private async verify(
    info: { origin: string; req: IncomingMessage },
    cb: VerifyCallback,
  ): Promise<void> {
    const allowed = this.opts.allowedOrigins;
    if (
      allowed &&
      info.origin &&
      !allowed.includes(info.origin) &&
      !isSameOrigin(info.origin, info.req)
    ) {
      this.refuse(cb, info.req, 403, 'ORIGIN_NOT_ALLOWED', 'this Origin may not open /ws');
      return;
    }
    try {
      (info.req as AuthedRequest)[PRINCIPAL] = await this.upgradeAuth.authenticate(info.req);
      cb(true);
    } catch (err) {
      if (err instanceof DomainError) {
        this.refuse(cb, info.req, err.kind === 'forbidden' ? 403 : 401, err.code, err.message);
      } else {
        this.log.error({ err: String(err) }, 'upgrade authentication failed');
        this.refuse(cb, info.req, 503, 'UNAVAILABLE', 'authentication is unavailable; retry later');
      }
    }
  }

  override bindMessageHandlers(
    client: WebSocket,
    handlers: MessageHandler[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    // Every gateway on /ws (the core's, and an enabled module's) binds its handlers to the same
    // socket; they share one listener, one frame order and one rate limit.
    const known = this.handlersOf.get(client);
    if (known) {
      for (const h of handlers)
        if (typeof h.message === 'string') known.set(h.message, { handler: h, transform });
      return;
    }
    const byEvent = new Map<string, BoundHandler>();
    for (const h of handlers)
      if (typeof h.message === 'string') byEvent.set(h.message, { handler: h, transform });
    this.handlersOf.set(client, byEvent);
    this.buckets.set(client, {
      bucket: new TokenBucket(this.opts.ratePerSec, this.opts.rateBurst),
      strikes: 0,
    });

    // A connection's frames are handled one after another, so answers come back in the order
    // the frames were sent and one client's sends are stored in that order.
    let chain: Promise<void> = Promise.resolve();
    client.on('message', (raw: Buffer, isBinary: boolean) => {
      if (!this.admit(client)) return;
      chain = chain.then(() => this.handleFrame(client, raw, isBinary, byEvent));
    });
  }

  private handleFrame(
    client: WebSocket,
    raw: Buffer,
    isBinary: boolean,
    byEvent: Map<string, BoundHandler>,
  ): Promise<void> {
    const reply = (code: string, message: string, ref?: string): Promise<void> => {
      if (client.readyState === client.OPEN)
        client.send(frame('error', { code, message, ...(ref ? { ref } : {}) }));
      return Promise.resolve();
    };
    if (isBinary) return reply('BAD_FRAME', 'frames must be JSON text');
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      return reply('BAD_FRAME', 'frame is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return reply('BAD_FRAME', 'frame must be an object {event, data}');
    const { event, data } = parsed as { event?: unknown; data?: unknown };
    // Before anything recursive (the validation pipe's transformer) sees the frame.
    const violation = findInputViolation(parsed);
    if (violation !== null)
      return reply(
        'VALIDATION_FAILED',
        // Fields of `data` are named as the validation pipe names them: `content`, not `data.content`.
        violation.path.startsWith('data.')
          ? describeViolation({ ...violation, path: violation.path.slice(5) }, '', 'data')
          : describeViolation(violation, '', 'frame'),
        typeof event === 'string' && event.length <= 64 ? event : undefined,
      );
    if (typeof event !== 'string' || event.length === 0 || event.length > 64)
      return reply('BAD_FRAME', 'event must be a non-empty string');
    const bound = byEvent.get(event);
    if (!bound) return reply('UNKNOWN_EVENT', `unknown event "${event}"`, event);
    if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data)))
      return reply('VALIDATION_FAILED', 'data must be an object', event);
    let result$: Observable<unknown>;
    try {
      result$ = bound.transform(bound.handler.callback(data ?? {}, event));
    } catch (err) {
      this.log.error({ err: String(err), event }, 'ws handler threw');
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      result$.subscribe({
        next: (res) => {
          if (res !== undefined && res !== null && client.readyState === client.OPEN)
            client.send(JSON.stringify(res));
        },
        error: (err: unknown) => {
          this.log.error({ err: String(err), event }, 'ws handler failed');
          resolve();
        },
        complete: () => resolve(),
      });
    });
  }

  /** Token bucket per connection; repeated flooding past the burst closes with 1008. */
  private admit(client: WebSocket): boolean {
    const state = this.buckets.get(client);
    if (!state) return true;
    const r = state.bucket.take();
    if (r.ok) {
      state.strikes = 0;
      return true;
    }
    state.strikes++;
    if (state.strikes === 1 && client.readyState === client.OPEN) {
      client.send(
        frame('error', {
          code: 'RATE_LIMITED',
          message: `too many frames; retry in ${r.retryAfterMs} ms`,
        }),
      );
    }
    if (state.strikes > this.opts.rateBurst) {
      markClose(client, 'rate_limited');
      client.close(CloseCodes.policyViolation, 'rate limit exceeded');
      setTimeout(() => client.terminate(), 1000).unref();
    }
    return false;
  }
}
