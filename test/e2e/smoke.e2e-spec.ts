import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import { createRoom, http, joinRoom, registerUser } from '../support/http.js';
import { WsTestClient } from '../support/ws-client.js';

describe('smoke: a message travels from one user to another', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('register, create a private room, join with password, exchange a message over WebSocket', async () => {
    const alice = await registerUser(t.baseUrl);
    const bob = await registerUser(t.baseUrl);
    const room = await createRoom(t.baseUrl, alice, { isPrivate: true, password: 'open sesame' });
    expect((await joinRoom(t.baseUrl, bob, room.id, 'open sesame')).status).toBe(200);

    const ticket = await http(t.baseUrl, 'POST', '/api/auth/ws-ticket', { token: bob.accessToken });
    expect(ticket.status).toBe(200);
    const bobWs = await WsTestClient.connect(t.wsUrl, { ticket: ticket.body.ticket });
    const aliceWs = await WsTestClient.connect(t.wsUrl, { token: alice.accessToken });
    expect(
      (await bobWs.request('room.subscribe', { roomId: room.id }, 'room.subscribed')).data,
    ).toEqual({ roomId: room.id, lastSeq: 0, lastEventSeq: 1 }); // bob's join is the first room event
    await aliceWs.request('room.subscribe', { roomId: room.id }, 'room.subscribed');

    const ack = await aliceWs.request(
      'message.send',
      { roomId: room.id, content: 'hi bob', clientMsgId: 'c1' },
      'message.ack',
    );
    expect(ack.data).toMatchObject({ clientMsgId: 'c1', seq: 1 });
    const [msg] = await bobWs.waitForMessages(room.id, 1);
    expect(msg).toMatchObject({
      roomId: room.id,
      seq: 1,
      content: 'hi bob',
      userId: alice.id,
      username: alice.username,
      type: 'text',
    });
    bobWs.close();
    aliceWs.close();
  });
});
