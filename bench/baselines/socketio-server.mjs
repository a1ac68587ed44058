// Baseline: a minimal Socket.IO 4 chat server, what many teams would pick instead.
// Same room semantics as the chat backend: "room.subscribe" joins the room (acknowledged with
// {roomId, lastSeq}); "message.send" is acknowledged with {clientMsgId, id, seq, createdAt} and
// then emitted as "message.new" to the whole room, the sender too; "ping" is acknowledged.
// Auth is minimal: the handshake must carry auth.token. WebSocket transport only (no polling
// upgrade dance), no persistence.
//
//   PORT=4002 BENCH_TOKEN=bench node bench/baselines/socketio-server.mjs
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 4002);
const token = process.env.BENCH_TOKEN ?? 'bench';
const seqs = new Map(); // roomId -> last seq
const userId = randomUUID();

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, sockets: io.engine.clientsCount }));
    return;
  }
  if (!req.url?.startsWith('/socket.io')) res.writeHead(404).end();
});
const io = new Server(server, {
  transports: ['websocket'],
  perMessageDeflate: false,
  maxHttpBufferSize: 64 * 1024,
  serveClient: false,
  cors: { origin: true },
});

io.use((socket, next) => {
  if (socket.handshake.auth?.token === token) return next();
  next(new Error('unauthorized'));
});

io.on('connection', (socket) => {
  socket.on('room.subscribe', (data, ack) => {
    if (typeof data?.roomId !== 'string') return ack?.({ error: 'VALIDATION_FAILED' });
    void socket.join(data.roomId);
    ack?.({ roomId: data.roomId, lastSeq: seqs.get(data.roomId) ?? 0 });
  });
  socket.on('message.send', (data, ack) => {
    if (typeof data?.roomId !== 'string' || !socket.rooms.has(data.roomId))
      return ack?.({ error: 'NOT_SUBSCRIBED', clientMsgId: data?.clientMsgId });
    const seq = (seqs.get(data.roomId) ?? 0) + 1;
    seqs.set(data.roomId, seq);
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
    ack?.({ clientMsgId: data.clientMsgId, id: message.id, seq, createdAt: message.createdAt });
    io.to(data.roomId).emit('message.new', message);
  });
  socket.on('ping', (_data, ack) => ack?.({ serverTime: new Date().toISOString() }));
});

server.listen(port, '127.0.0.1', () => console.log(`socket.io baseline listening on ${port}`));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.once(sig, () => {
    io.disconnectSockets(true);
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
