// The SDK's resend timer in isolation: a fake fetch and a fake WebSocket, Jest's fake clock. What
// it writes when a send goes unanswered, and that an idle client keeps no timer for it (a browser
// tab or a phone should not wake four times a second for an empty outbox).
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ChatClient, type WebSocketLike } from '../../packages/sdk/src/index.js';

class FakeSocket implements WebSocketLike {
  static last: FakeSocket;
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  readonly sent: { event: string; data: Record<string, unknown> }[] = [];
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(event: string, data: unknown): void {
    this.onmessage?.({ data: JSON.stringify({ event, data }) });
  }
  sends(): string[] {
    return this.sent.filter((f) => f.event === 'message.send').map((f) => String(f.data.content));
  }
}

const json = (body: unknown) =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });

async function openClient(resendAfterMs: number): Promise<{ client: ChatClient; ws: FakeSocket }> {
  const fetchFn: typeof fetch = async (input) => {
    const url = input instanceof Request ? input.url : input.toString();
    if (url.endsWith('/api/auth/login'))
      return json({
        user: { id: 'u1', username: 'ann' },
        accessToken: 'a',
        refreshToken: 'r',
        expiresIn: 3600,
      });
    if (url.endsWith('/api/auth/ws-ticket')) return json({ ticket: 't' });
    return new Response('{}', { status: 404 });
  };
  const client = new ChatClient({
    baseUrl: 'http://chat.test',
    fetch: fetchFn,
    WebSocket: FakeSocket,
    resendAfterMs,
  });
  await client.login({ login: 'ann', password: 'pw' });
  const before = FakeSocket.last;
  client.connect();
  // The ticket comes over (fake) fetch: wait for the socket it opens.
  while (FakeSocket.last === before) await Promise.resolve();
  FakeSocket.last.open();
  return { client, ws: FakeSocket.last };
}

describe('the SDK resend timer', () => {
  // The clock and timers only: fetch's Response bodies need real microtasks and immediates.
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('is armed only while a send waits for its answer', async () => {
    const { client, ws } = await openClient(1_000);
    const idle = jest.getTimerCount(); // the heartbeat and the token refresh
    const sent = client.send('r1', 'hello', { clientMsgId: 'c1' });
    expect(jest.getTimerCount()).toBe(idle + 1);
    ws.receive('message.ack', { clientMsgId: 'c1', roomId: 'r1', seq: 1, eventSeq: 1 });
    await expect(sent).resolves.toMatchObject({ seq: 1 });
    expect(jest.getTimerCount()).toBe(idle);
    client.disconnect();
  });

  it('writes an unanswered send again every resendAfterMs, and stops once it is acknowledged', async () => {
    const { client, ws } = await openClient(1_000);
    const sent = client.send('r1', 'hello', { clientMsgId: 'c1' });
    expect(ws.sends()).toEqual(['hello']);
    jest.advanceTimersByTime(999);
    expect(ws.sends()).toEqual(['hello']);
    jest.advanceTimersByTime(1);
    expect(ws.sends()).toEqual(['hello', 'hello']);
    jest.advanceTimersByTime(1_000);
    expect(ws.sends()).toHaveLength(3);
    ws.receive('message.ack', { clientMsgId: 'c1', roomId: 'r1', seq: 1, eventSeq: 1 });
    await sent;
    jest.advanceTimersByTime(10_000);
    expect(ws.sends()).toHaveLength(3);
    client.disconnect();
  });

  it('each send on its own clock: a later send does not delay an earlier one, and a refused one leaves', async () => {
    const { client, ws } = await openClient(1_000);
    const first = client.send('r1', 'one', { clientMsgId: 'c1' });
    jest.advanceTimersByTime(600);
    const second = client.send('r1', 'two', { clientMsgId: 'c2' });
    jest.advanceTimersByTime(400); // 'one' due, 'two' not
    expect(ws.sends()).toEqual(['one', 'two', 'one']);
    jest.advanceTimersByTime(600); // 'two' due
    expect(ws.sends()).toEqual(['one', 'two', 'one', 'two']);
    ws.receive('error', { code: 'FORBIDDEN', message: 'no', ref: 'c1' });
    await expect(first).rejects.toMatchObject({ code: 'FORBIDDEN' });
    ws.receive('message.ack', { clientMsgId: 'c2', roomId: 'r1', seq: 1, eventSeq: 1 });
    await second;
    jest.advanceTimersByTime(10_000);
    expect(ws.sends()).toHaveLength(4);
    client.disconnect();
  });
});
