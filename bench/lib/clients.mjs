// The client side of the three protocols, behind one small interface used by the load
// generator:
//   open() -> Promise; subscribe(roomId) -> Promise; send(roomId, content, clientMsgId, i);
//   roundTrip() -> Promise; close()
// and callbacks given at construction: onDelivery(frame: Buffer | string), onAck(i | clientMsgId),
// onAckError(...), onClose(code).
//
// - 'chat': the chat backend's protocol, JSON text frames {event, data} (also spoken by the
//   bare ws baseline). Auth: `Authorization: Bearer` on the upgrade (no ticket round trip).
// - 'sio': Socket.IO 4 spoken directly over `ws` (Engine.IO v4 framing: "0" open, "2"/"3"
//   ping/pong, "40" connect, "42" event, "43" ack). Parsing is as cheap as for 'chat', so the
//   load generator costs the same for both and the comparison is the servers'.
// - 'sio-official': the real socket.io-client (heavier per frame on the load generator;
//   `--sio-client=official`).
import WebSocket from 'ws';

const HEAD = 48;

function timeout(ms, what) {
  let t;
  const p = new Promise((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  return { p, clear: () => clearTimeout(t) };
}

class ChatClient {
  constructor(o) {
    this.o = o;
    this.waiters = new Map(); // key -> {resolve, reject}
    this.pongWaiters = [];
    this.closed = false;
  }

  open() {
    const { url, token, localAddress } = this.o;
    return new Promise((resolve, reject) => {
      const headers = token ? { authorization: `Bearer ${token}` } : {};
      const ws = new WebSocket(url, { headers, localAddress, perMessageDeflate: false });
      this.ws = ws;
      let settled = false;
      ws.once('open', () => {
        settled = true;
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => {
        settled = true;
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
        ws.terminate();
      });
      ws.on('error', (err) => {
        if (!settled) {
          settled = true;
          reject(err);
        } else this.o.onError?.(err);
      });
      ws.on('close', (code) => {
        this.closed = true;
        for (const w of this.waiters.values()) w.reject(new Error(`closed ${code}`));
        this.waiters.clear();
        this.o.onClose?.(code);
      });
      ws.on('message', (buf) => this.onFrame(buf));
    });
  }

  onFrame(buf) {
    // onRoomEvent (the reconnect scenario): every frame is parsed and every room event (any
    // frame whose data has a roomId and an eventSeq) is handed over with its place in the log.
    const track = this.o.onRoomEvent;
    if (!track) {
      const head = buf.toString('latin1', 0, HEAD);
      if (head.startsWith('{"event":"message.new"')) return this.o.onDelivery(buf);
    }
    let f;
    try {
      f = JSON.parse(buf.toString());
    } catch {
      return this.o.onError?.(new Error('non-JSON frame'));
    }
    if (track && typeof f.data?.eventSeq === 'number' && f.data.roomId)
      return track(f.data.roomId, f.data.eventSeq, f.event);
    switch (f.event) {
      case 'message.ack':
        return this.o.onAck(f.data.clientMsgId);
      case 'room.subscribed': {
        const w = this.waiters.get(`sub:${f.data.roomId}`);
        this.waiters.delete(`sub:${f.data.roomId}`);
        return w?.resolve(f.data);
      }
      case 'pong':
        return this.pongWaiters.shift()?.();
      case 'error': {
        const ref = f.data?.ref;
        if (ref === 'room.subscribe') {
          for (const [k, w] of this.waiters)
            if (k.startsWith('sub:')) {
              this.waiters.delete(k);
              w.reject(new Error(`subscribe refused: ${JSON.stringify(f.data)}`));
            }
          return;
        }
        if (ref) return this.o.onAckError(ref, f.data);
        return this.o.onError?.(new Error(`error frame ${JSON.stringify(f.data)}`));
      }
      default:
        return undefined; // member.joined, typing, ...
    }
  }

  /** `from`: {afterEventSeq} to resume from a place in the room's log. */
  subscribe(roomId, ms = 10000, from = {}) {
    const t = timeout(ms, `subscribe ${roomId}`);
    const p = new Promise((resolve, reject) =>
      this.waiters.set(`sub:${roomId}`, { resolve, reject }),
    );
    this.ws.send(JSON.stringify({ event: 'room.subscribe', data: { roomId, ...from } }));
    return Promise.race([p, t.p]).finally(t.clear);
  }

  send(roomId, content, clientMsgId) {
    if (this.closed) return false;
    this.ws.send(JSON.stringify({ event: 'message.send', data: { roomId, content, clientMsgId } }));
    return true;
  }

  roundTrip(ms = 10000) {
    const t = timeout(ms, 'round trip');
    const p = new Promise((resolve) => this.pongWaiters.push(resolve));
    this.ws.send('{"event":"ping","data":{}}');
    return Promise.race([p, t.p]).finally(t.clear);
  }

  close() {
    this.ws?.terminate();
  }
}

class SioRawClient {
  constructor(o) {
    this.o = o;
    this.nextAck = 1;
    this.acks = new Map(); // ack id -> callback(data)
    this.closed = false;
  }

  open() {
    const { url, token, localAddress } = this.o;
    const u = new URL(url);
    u.pathname = '/socket.io/';
    u.search = '?EIO=4&transport=websocket';
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(u.toString(), { localAddress, perMessageDeflate: false });
      this.ws = ws;
      let settled = false;
      const fail = (err) => {
        if (!settled) {
          settled = true;
          reject(err);
        }
      };
      this.onConnected = () => {
        settled = true;
        resolve();
      };
      this.onConnectError = (m) => fail(new Error(`socket.io connect refused: ${m}`));
      ws.once('unexpected-response', (_req, res) => {
        fail(new Error(`upgrade refused: HTTP ${res.statusCode}`));
        ws.terminate();
      });
      ws.on('error', (err) => (settled ? this.o.onError?.(err) : fail(err)));
      ws.on('close', (code) => {
        this.closed = true;
        fail(new Error(`closed ${code} before connect`));
        this.o.onClose?.(code);
      });
      ws.on('message', (buf) => this.onPacket(buf, token));
    });
  }

  onPacket(buf, token) {
    const c0 = buf[0];
    if (c0 === 0x34 /* '4' message */) {
      const c1 = buf[1];
      if (c1 === 0x32 /* '2' event */) {
        if (buf.toString('latin1', 2, 2 + 15) === '["message.new",') return this.o.onDelivery(buf);
        return undefined;
      }
      if (c1 === 0x33 /* '3' ack */) {
        let i = 2;
        let id = 0;
        while (buf[i] >= 0x30 && buf[i] <= 0x39) id = id * 10 + (buf[i++] - 0x30);
        const cb = this.acks.get(id);
        if (!cb) return undefined;
        this.acks.delete(id);
        return cb(JSON.parse(buf.toString('utf8', i))[0]);
      }
      if (c1 === 0x30 /* '0' connect */) return this.onConnected?.();
      if (c1 === 0x34 /* '4' connect error */) return this.onConnectError?.(buf.toString());
      return undefined;
    }
    if (c0 === 0x32 /* '2' ping */) return this.ws.send('3');
    if (c0 === 0x30 /* '0' open */) return this.ws.send(`40${JSON.stringify({ token })}`);
    return undefined;
  }

  emit(event, data, cb) {
    const id = this.nextAck++;
    this.acks.set(id, cb);
    this.ws.send(`42${id}${JSON.stringify([event, data])}`);
  }

  subscribe(roomId, ms = 10000) {
    const t = timeout(ms, `subscribe ${roomId}`);
    const p = new Promise((resolve, reject) =>
      this.emit('room.subscribe', { roomId }, (d) =>
        d?.error ? reject(new Error(`subscribe refused: ${d.error}`)) : resolve(d),
      ),
    );
    return Promise.race([p, t.p]).finally(t.clear);
  }

  send(roomId, content, clientMsgId) {
    if (this.closed) return false;
    this.emit('message.send', { roomId, content, clientMsgId }, (d) =>
      d?.error ? this.o.onAckError(clientMsgId, d) : this.o.onAck(clientMsgId),
    );
    return true;
  }

  roundTrip(ms = 10000) {
    const t = timeout(ms, 'round trip');
    const p = new Promise((resolve) => this.emit('ping', {}, resolve));
    return Promise.race([p, t.p]).finally(t.clear);
  }

  close() {
    this.ws?.terminate();
  }
}

let ioClient = null;
class SioOfficialClient {
  constructor(o) {
    this.o = o;
    this.closed = false;
  }

  async open() {
    ioClient ??= (await import('socket.io-client')).io;
    const { url, token, localAddress } = this.o;
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const s = ioClient(`http://${u.host}`, {
        transports: ['websocket'],
        auth: { token },
        forceNew: true,
        reconnection: false,
        perMessageDeflate: false,
        localAddress,
      });
      this.s = s;
      s.once('connect', resolve);
      s.once('connect_error', reject);
      s.on('disconnect', (reason) => {
        this.closed = true;
        this.o.onClose?.(reason);
      });
      s.on('message.new', (m) => this.o.onDelivery(m.content));
    });
  }

  subscribe(roomId, ms = 10000) {
    return this.s.timeout(ms).emitWithAck('room.subscribe', { roomId });
  }

  send(roomId, content, clientMsgId) {
    if (this.closed) return false;
    this.s.emit('message.send', { roomId, content, clientMsgId }, (d) =>
      d?.error ? this.o.onAckError(clientMsgId, d) : this.o.onAck(clientMsgId),
    );
    return true;
  }

  roundTrip(ms = 10000) {
    return this.s.timeout(ms).emitWithAck('ping', {});
  }

  close() {
    this.s?.disconnect();
  }
}

export function createClient(proto, opts) {
  if (proto === 'chat') return new ChatClient(opts);
  if (proto === 'sio') return new SioRawClient(opts);
  if (proto === 'sio-official') return new SioOfficialClient(opts);
  throw new Error(`unknown protocol ${proto}`);
}
