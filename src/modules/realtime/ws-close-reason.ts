import type { WebSocket } from 'ws';

/** Why a connection ended: the `reason` label of ws_disconnects_total and of the close log. */
export type DisconnectReason =
  | 'rate_limited' // 1008: kept flooding past the limit
  | 'slow_reader' // 1008: let its send buffer grow past the bound
  | 'too_big' // 1009: a frame larger than WS_MAX_PAYLOAD
  | 'invalid_utf8' // 1007: a text frame that is not UTF-8
  | 'protocol_error' // 1002: any other broken frame
  | 'session_ended' // 4401: logout, token reuse, disabled or banned
  | 'heartbeat' // missed two pings
  | 'shutdown' // 1001: this instance is stopping
  | 'client_close' // the client sent a close frame
  | 'connection_lost'; // the TCP connection ended without a close frame

const REASON = Symbol('wsCloseReason');
type Marked = WebSocket & { [REASON]?: DisconnectReason };

/** Records why the server is closing a socket (the first reason given wins). */
export function markClose(socket: WebSocket, reason: DisconnectReason): void {
  const s = socket as Marked;
  s[REASON] ??= reason;
}

/** ws's error codes for frames it refused, and the close code it answers them with. */
export function reasonForSocketError(err: Error & { code?: string }): DisconnectReason {
  switch (err.code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
      return 'too_big';
    case 'WS_ERR_INVALID_UTF8':
      return 'invalid_utf8';
    default:
      return 'protocol_error';
  }
}

/** The reason a closed socket ended: the server's own, else what the close code says. */
export function closeReasonOf(socket: WebSocket, code: number): DisconnectReason {
  const marked = (socket as Marked)[REASON];
  if (marked) return marked;
  return code === 1006 ? 'connection_lost' : 'client_close';
}

/** The close code the server sent for its own reasons (heartbeat: none, the socket is cut). */
const SENT_CODE: Partial<Record<DisconnectReason, number>> = {
  rate_limited: 1008,
  slow_reader: 1008,
  too_big: 1009,
  invalid_utf8: 1007,
  protocol_error: 1002,
  session_ended: 4401,
  shutdown: 1001,
};

/** The code to report for a close: the one the server sent, else the one the client sent. */
export function reportedCloseCode(reason: DisconnectReason, received: number): number {
  return SENT_CODE[reason] ?? received;
}
