// Bot webhooks across two service processes on one Kafka topic: each message becomes one
// delivery (a consumer group shared by the instances), signed, and reaches a real HTTP receiver
// on loopback at least once even when one instance is SIGKILLed while it holds deliveries in
// flight: its leased deliveries become due again and the survivor sends them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { twoInstancesOnKafka } from '../support/cluster.js';
import { withDatabase } from '../support/flags.js';
import { createRoom, http, registerUser } from '../support/http.js';
import { stopAll, withServiceLogs, type ServiceProcess } from '../support/service-process.js';
import { mapPool, waitFor } from '../support/wait.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { metricValue } from '../support/ws-client.js';

const BOT_ENV = {
  FEATURE_BOT_MESSAGES: 'true',
  BOT_WEBHOOK_ALLOW_PRIVATE: 'loopback',
  BOT_WEBHOOK_POLL_MS: '100',
  BOT_WEBHOOK_CONCURRENCY: '4',
  BOT_WEBHOOK_TIMEOUT_MS: '8000',
  BOT_WEBHOOK_LEASE_MS: '10000',
  BOT_WEBHOOK_BACKOFF_BASE_MS: '200',
  BOT_WEBHOOK_BACKOFF_MAX_MS: '1000',
  BOT_WEBHOOK_MAX_ATTEMPTS: '50',
};

describe('bot webhooks on two instances, one killed mid-delivery', () => {
  const cluster = twoInstancesOnKafka('bots', BOT_ENV);
  let receiver: WebhookReceiver | undefined;
  const events: string[] = [];
  const mark = (what: string) => events.push(`${new Date().toISOString()} ${what}`);
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    withDatabase(cluster.databaseUrl, async (c) => (await c.query(text, params)).rows as T[]);

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });

  afterAll(async () => {
    // Answer what the receiver still holds before the instances shut down (the fixture's own
    // stop then finds them stopped), so no shutdown waits out a webhook timeout.
    receiver?.releaseHeld(200);
    if (receiver) receiver.answer = () => ({ status: 200 });
    await stopAll(cluster.services());
    await receiver?.close();
  }, 60_000);

  it(
    'delivers every message at least once, signed, one delivery id per message, with an instance killed holding deliveries',
    withServiceLogs(
      cluster.services,
      async () => {
        const [doomed, survivor] = [cluster.a, cluster.b];
        const rx = receiver!;
        const owner = await registerUser(doomed.baseUrl);
        const rooms = [
          await createRoom(doomed.baseUrl, owner),
          await createRoom(survivor.baseUrl, owner),
        ];
        const created = await http(doomed.baseUrl, 'POST', '/api/bots', {
          token: owner.accessToken,
          body: { name: `kbot-${Date.now().toString(36)}`, webhookUrl: rx.url('/kafka') },
        });
        expect(created.status).toBe(201);
        const bot = created.body as { id: string; userId: string; token: string };
        rx.tokens.add(bot.token);
        for (const [i, room] of rooms.entries()) {
          const res = await http(
            [doomed, survivor][i].baseUrl,
            'POST',
            `/api/rooms/${room.id}/bots/${bot.id}`,
            {
              token: owner.accessToken,
            },
          );
          expect(res.status).toBe(200);
        }

        // Phase 1: the receiver holds every request open, so deliveries pile up in flight on
        // both instances (4 each), the rest wait in the queue.
        rx.answer = () => 'hold';
        const send = (svc: ServiceProcess, roomId: string, content: string) =>
          http(svc.baseUrl, 'POST', `/api/rooms/${roomId}/messages`, {
            token: owner.accessToken,
            body: { content },
          });
        const sent: string[] = [];
        const before = await mapPool([...Array(24).keys()], 4, async (i) => {
          const res = await send(i % 2 ? survivor : doomed, rooms[i % 2].id, `before ${i}`);
          expect(res.status).toBe(201);
          return res.body.id as string;
        });
        sent.push(...before);
        mark(`${before.length} messages sent through both instances`);

        // The shared group: each message.sent was handled by one instance, not by both (as the
        // broadcast would). Once every message has its delivery row, count what each handled.
        await waitFor(
          async () => {
            const [r] = await sql<{ n: number }>(
              `SELECT count(*)::int AS n FROM webhook_deliveries WHERE bot_id = $1`,
              [bot.id],
            );
            return r.n === before.length;
          },
          'a delivery row for every message',
          { timeoutMs: 30_000 },
        );
        const handled = await Promise.all(
          [doomed, survivor].map((s) => metricValue(s.baseUrl, 'chat_bot_webhook_events_total')),
        );
        mark(
          `message.sent handled by ${doomed.name}: ${handled[0]}, by ${survivor.name}: ${handled[1]}`,
        );
        expect(handled[0] + handled[1]).toBeGreaterThanOrEqual(before.length);
        expect(handled[0] + handled[1]).toBeLessThan(2 * before.length);

        const leasedBy = async () =>
          new Map(
            (
              await sql<{ leased_by: string; ids: string[] }>(
                `SELECT leased_by, array_agg(id::text) AS ids FROM webhook_deliveries
                  WHERE bot_id = $1 AND status = 'pending' AND lease_until > now()
                  GROUP BY leased_by`,
                [bot.id],
              )
            ).map((r) => [r.leased_by, r.ids]),
          );
        const held = await waitFor(
          async () => {
            const m = await leasedBy();
            return (m.get(doomed.name)?.length ?? 0) > 0 && (m.get(survivor.name)?.length ?? 0) > 0
              ? m
              : null;
          },
          'both instances to hold deliveries in flight',
          {
            timeoutMs: 30_000,
            intervalMs: 100,
            describe: () => `held at receiver: ${rx.heldCount}`,
          },
        );
        const victimIds = new Set(held.get(doomed.name));
        mark(
          `in flight: ${doomed.name} ${victimIds.size}, ${survivor.name} ${held.get(survivor.name)!.length}; killing ${doomed.name}`,
        );
        const status = await doomed.kill();
        expect(status.signal).toBe('SIGKILL');
        mark(`${doomed.name} killed`);

        // Phase 2: the receiver answers; the first try of every fifth message fails with 503.
        const tries = new Map<string, number>();
        rx.answer = (d) => {
          const n = (tries.get(d.deliveryId) ?? 0) + 1;
          tries.set(d.deliveryId, n);
          const k = Number(String(d.body?.message?.content).split(' ')[1]);
          return n === 1 && k % 5 === 0 ? { status: 503 } : { status: 200 };
        };
        const released = rx.releaseHeld(200);
        mark(`released ${released} held requests`);

        // More traffic after the kill, through the survivor only.
        for (let i = 0; i < 8; i++) {
          const res = await send(survivor, rooms[i % 2].id, `after ${100 + i}`);
          expect(res.status).toBe(201);
          sent.push(res.body.id as string);
        }
        mark('8 more messages sent through the survivor');

        // Every message is delivered: a 2xx answered to a correctly signed request carrying it.
        const answeredOk = () =>
          new Set(
            rx
              .verified()
              .filter((d) => d.answered !== null && d.answered >= 200 && d.answered < 300)
              .map((d) => String(d.body.message.id)),
          );
        await waitFor(
          () => sent.every((id) => answeredOk().has(id)),
          'every message to be delivered',
          {
            timeoutMs: 60_000,
            intervalMs: 250,
            describe: () =>
              `${sent.filter((id) => answeredOk().has(id)).length}/${sent.length} delivered`,
          },
        );
        mark('every message delivered');
        await waitFor(
          async () => {
            const [r] = await sql<{ n: number }>(
              `SELECT count(*)::int AS n FROM webhook_deliveries WHERE bot_id = $1 AND status = 'delivered'`,
              [bot.id],
            );
            return r.n === sent.length;
          },
          'the database to record every delivery',
          { timeoutMs: 15_000 },
        );

        expect(rx.badSignatures).toBe(0);
        // One delivery id per message, and one message per delivery id.
        const byDelivery = new Map<string, Set<string>>();
        const byMessage = new Map<string, Set<string>>();
        for (const d of rx.verified()) {
          const m = String(d.body.message.id);
          expect(d.body.deliveryId).toBe(d.deliveryId);
          expect(d.body.bot).toEqual({ id: bot.id });
          byDelivery.set(d.deliveryId, (byDelivery.get(d.deliveryId) ?? new Set()).add(m));
          byMessage.set(m, (byMessage.get(m) ?? new Set()).add(d.deliveryId));
        }
        for (const [id, messages] of byDelivery) expect([id, messages.size]).toEqual([id, 1]);
        for (const [id, ids] of byMessage) expect([id, ids.size]).toEqual([id, 1]);
        expect([...byMessage.keys()].sort()).toEqual([...sent].sort());
        const rows = await sql<{
          id: string;
          message_id: string;
          attempts: number;
          leased_by: string;
        }>(`SELECT id, message_id, attempts, leased_by FROM webhook_deliveries WHERE bot_id = $1`, [
          bot.id,
        ]);
        expect(rows).toHaveLength(sent.length);
        for (const r of rows) expect(byMessage.get(r.message_id)).toEqual(new Set([r.id]));

        // What the killed instance held went out again from the survivor, after its lease.
        for (const id of victimIds) {
          const row = rows.find((r) => r.id === id)!;
          expect(row.leased_by).toBe(survivor.name);
          expect(row.attempts).toBeGreaterThanOrEqual(2);
          const seen = rx.received.filter((d) => d.deliveryId === id);
          expect(seen.length).toBeGreaterThanOrEqual(2);
          expect(seen.some((d) => d.answered !== null && d.answered < 300)).toBe(true);
        }
        const repeats = [...byDelivery.keys()].filter(
          (id) => rx.received.filter((d) => d.deliveryId === id).length > 1,
        );
        // Nothing else went out twice: a repeat is a delivery the killed instance held, or one
        // the receiver refused the first time.
        const refusedFirst = new Set(
          rx.received.filter((d) => d.answered === 503).map((d) => d.deliveryId),
        );
        for (const id of repeats) expect(victimIds.has(id) || refusedFirst.has(id)).toBe(true);
        mark(
          `delivery ids seen more than once: ${repeats.length} (killed instance held ${victimIds.size})`,
        );
        console.log(`bot webhook failover timeline:\n${events.join('\n')}`);
      },
      () => `timeline:\n${events.join('\n')}`,
    ),
    150_000,
  );
});
