// Baseline: a bare `ws` broadcast server, the ceiling for a Node WebSocket chat on one core.
// Same wire format and room semantics as the chat backend (JSON text frames {event, data}):
// room.subscribe -> room.subscribed; message.send -> message.ack, then message.new to every
// subscriber of the room, the sender too; ping -> pong. No auth, no persistence. Each
// message.new frame is encoded once to a Buffer and that Buffer goes to every subscriber.
// With CORK=1 (the "ws corked" baseline) it also corks each socket it writes to and uncorks
// them all at the end of the event-loop turn, as the chat backend does: the frames of one turn
// leave a socket in one write, the fair ceiling for a server that batches its writes.
//
//   PORT=4001 [CORK=1] node bench/baselines/ws-server.mjs
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 4001);
const rooms = new Map(); // roomId -> { seq, members: Set<WebSocket> }
const userId = randomUUID();

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, sockets: wss.clients.size }));
    return;
  }
  res.writeHead(404).end();
});
const wss = new WebSocketServer({
  server,
  path: '/ws',
  perMessageDeflate: false,
  maxPayload: 64 * 1024,
});

const corking = process.env.CORK === '1';
const corked = [];
let uncorkScheduled = false;
function uncorkAll() {
  uncorkScheduled = false;
  for (const raw of corked.splice(0)) if (!raw.destroyed) raw.uncork();
}
/** Writes a frame; with CORK=1 the socket stays corked until the end of this turn. */
function write(ws, frame) {
  if (corking) {
    const raw = ws._socket;
    if (raw && raw.writableCorked === 0) {
      raw.cork();
      corked.push(raw);
      if (!uncorkScheduled) {
        uncorkScheduled = true;
        setImmediate(uncorkAll);
      }
    }
  }
  ws.send(frame, { binary: false });
}

const send = (ws, event, data) => write(ws, JSON.stringify({ event, data }));

wss.on('connection', (ws) => {
  const joined = new Set();
  ws.on('message', (raw) => {
    let msg;
    try {
      msg = JSON.parse(raw.toString());
    } catch {
      return send(ws, 'error', { code: 'BAD_FRAME', message: 'not JSON' });
    }
    const data = msg?.data ?? {};
    switch (msg?.event) {
      case 'room.subscribe': {
        let room = rooms.get(data.roomId);
        if (!room) rooms.set(data.roomId, (room = { seq: 0, members: new Set() }));
        room.members.add(ws);
        joined.add(data.roomId);
        return send(ws, 'room.subscribed', { roomId: data.roomId, lastSeq: room.seq });
      }
      case 'message.send': {
        const room = rooms.get(data.roomId);
        if (!room || !room.members.has(ws))
          return send(ws, 'error', {
            code: 'NOT_SUBSCRIBED',
            message: 'subscribe first',
            ref: data.clientMsgId,
          });
        const seq = ++room.seq;
        const message = {
          id: randomUUID(),
          roomId: data.roomId,
          seq,
          userId,
          username: 'bench',
          content: data.content,
          type: 'text',
          clientMsgId: data.clientMsgId,
          createdAt: new Date().toISOString(),
        };
        send(ws, 'message.ack', {
          clientMsgId: data.clientMsgId,
          id: message.id,
          seq,
          createdAt: message.createdAt,
        });
        const frame = Buffer.from(JSON.stringify({ event: 'message.new', data: message }));
        for (const member of room.members) write(member, frame);
        return;
      }
      case 'ping':
        return send(ws, 'pong', { serverTime: new Date().toISOString() });
      default:
        return send(ws, 'error', {
          code: 'UNKNOWN_EVENT',
          message: 'unknown event',
          ref: msg?.event,
        });
    }
  });
  ws.on('close', () => {
    for (const roomId of joined) {
      const room = rooms.get(roomId);
      room?.members.delete(ws);
      if (room && room.members.size === 0) rooms.delete(roomId);
    }
  });
  ws.on('error', () => undefined);
});

server.listen(port, '127.0.0.1', () => console.log(`ws baseline listening on ${port}`));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.once(sig, () => {
    for (const ws of wss.clients) ws.terminate();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
