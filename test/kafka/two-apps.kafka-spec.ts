import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import { createRoom, http, joinRoom, registerUser } from '../support/http.js';
import { WsTestClient } from '../support/ws-client.js';
import { testBrokers } from '../support/kafka.js';

describe('two app instances on one Kafka topic', () => {
  let a: TestApp;
  let b: TestApp;
  const topic = `chat.events.t${Date.now().toString(36)}`;
  beforeAll(async () => {
    const brokers = testBrokers(); // fails the suite with the setup's explanation when no broker
    a = await startTestApp({ KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic });
    b = await startTestApp({ KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('a message sent on instance A reaches a subscriber on instance B', async () => {
    const alice = await registerUser(a.baseUrl);
    const bob = await registerUser(b.baseUrl);
    const room = await createRoom(a.baseUrl, alice);
    expect((await joinRoom(b.baseUrl, bob, room.id)).status).toBe(200);
    const bobWs = await WsTestClient.connect(b.wsUrl, { token: bob.accessToken });
    await bobWs.request('room.subscribe', { roomId: room.id }, 'room.subscribed');
    const res = await http(a.baseUrl, 'POST', `/api/rooms/${room.id}/messages`, {
      token: alice.accessToken,
      body: { content: 'across instances' },
    });
    expect(res.status).toBe(201);
    const [m] = await bobWs.waitForMessages(room.id, 1);
    expect(m.content).toBe('across instances');
    // The OpenAPI routes are mounted before the app starts consuming, so they work here too.
    expect((await http(b.baseUrl, 'GET', '/docs-json')).status).toBe(200);
    const ready = await http(b.baseUrl, 'GET', '/health/ready');
    expect(ready.body.details.bus).toMatchObject({ status: 'up', driver: 'kafka' });
    bobWs.close();
  });
});
