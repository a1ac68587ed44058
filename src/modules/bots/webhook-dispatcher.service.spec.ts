import { afterEach, describe, expect, it } from '@jest/globals';
import type { MessageView } from '../../common/events/chat-events.js';
import { Errors } from '../../common/errors/domain-error.js';
import type { InstanceIdentity } from '../../infrastructure/instance-identity.js';
import { until } from '../../common/testing/unit-kit.fake.js';
import { ChatMetrics } from '../../infrastructure/metrics/chat-metrics.js';
import type { BotsConfig } from './bots.config.js';
import { webhookSignature } from './domain/bot-token.js';
import {
  WebhookDeliveryRepository,
  type ClaimedDelivery,
} from './domain/webhook-delivery.repository.js';
import type { WebhookNetwork } from './infrastructure/webhooks/webhook-network.js';
import { WebhookDispatcher } from './webhook-dispatcher.service.js';

const TOKEN_HASH = 'ab'.repeat(32);

interface Row {
  id: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  dueAt: number;
  leasedUntil: number;
  lastError: string | null;
  webhookUrl: string | null;
  messageDeleted: boolean;
}

/** The queue in memory, with the SQL one's claim rules: due, not leased, the attempt counted. */
class InMemoryDeliveries extends WebhookDeliveryRepository {
  readonly rows: Row[] = [];
  claims = 0;

  add(id: string, over: Partial<Row> = {}): Row {
    const row: Row = {
      id,
      status: 'pending',
      attempts: 0,
      dueAt: 0,
      leasedUntil: 0,
      lastError: null,
      webhookUrl: `http://bot.example/${id}`,
      messageDeleted: false,
      ...over,
    };
    this.rows.push(row);
    return row;
  }

  row(id: string): Row {
    return this.rows.find((r) => r.id === id)!;
  }

  enqueueForMessage(): never {
    throw new Error('not used by the dispatcher');
  }

  claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    this.claims++;
    const now = Date.now();
    const due = this.rows
      .filter((r) => r.status === 'pending' && r.dueAt <= now && r.leasedUntil <= now)
      .slice(0, limit);
    return Promise.resolve(
      due.map((r) => {
        r.attempts++;
        r.leasedUntil = now + leaseMs;
        return {
          id: r.id,
          botId: 'bot-1',
          messageId: `m-${r.id}`,
          payload: { event: 'message.new', message: { id: `m-${r.id}` } as MessageView },
          attempts: r.attempts,
          webhookUrl: r.webhookUrl,
          tokenHash: TOKEN_HASH,
          messageDeleted: r.messageDeleted,
        };
      }),
    );
  }

  markDelivered(id: string): Promise<void> {
    this.row(id).status = 'delivered';
    return Promise.resolve();
  }

  markAttemptFailed(
    id: string,
    attempts: number,
    error: string,
    retryAt: Date | null,
  ): Promise<void> {
    const r = this.row(id);
    if (r.attempts !== attempts) return Promise.resolve(); // another claim holds it now
    r.lastError = error;
    r.leasedUntil = 0;
    if (retryAt === null) r.status = 'failed';
    else r.dueAt = retryAt.getTime();
    return Promise.resolve();
  }

  purgeFinished(): Promise<number> {
    return Promise.resolve(0);
  }

  listForBot(): never {
    throw new Error('not used by the dispatcher');
  }
}

interface Post {
  url: string;
  body: string;
  headers: Record<string, string>;
  answer(status: number): void;
  fail(err: Error): void;
}

/** A webhook network whose requests the test answers one by one. */
function heldNetwork() {
  const posts: Post[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const network = {
    post: (url: string, body: string, headers: Record<string, string>) =>
      new Promise<{ status: number }>((resolve, reject) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const done = () => inFlight--;
        posts.push({
          url,
          body,
          headers,
          answer: (status) => (done(), resolve({ status })),
          fail: (err) => (done(), reject(err)),
        });
      }),
  } as unknown as WebhookNetwork;
  return { network, posts, maxInFlight: () => maxInFlight };
}

const running: WebhookDispatcher[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) await d.beforeApplicationShutdown();
});

function setup(cfg: Partial<BotsConfig> = {}) {
  const deliveries = new InMemoryDeliveries();
  const net = heldNetwork();
  const metrics = new ChatMetrics();
  const dispatcher = new WebhookDispatcher(
    deliveries,
    net.network,
    {
      leaseMs: 30_000,
      retry: { baseMs: 10, maxMs: 20, maxAttempts: 3 },
      pollMs: 60_000, // only pokes and backlog drive these tests unless they say otherwise
      concurrency: 2,
      retentionHours: 24,
      ...cfg,
    } as BotsConfig,
    { id: 'instance-1' } as InstanceIdentity,
    metrics,
  );
  running.push(dispatcher);
  const outcomes = async () =>
    (await metrics.registry.getSingleMetric('chat_bot_webhook_attempts_total')!.get()).values
      .map((v) => `${v.labels.outcome}=${v.value}`)
      .sort();
  return { deliveries, dispatcher, ...net, outcomes };
}

describe('WebhookDispatcher (in-memory queue, held network)', () => {
  it('POSTs a due delivery once, signed over its timestamp and body, and records it delivered', async () => {
    const t = setup();
    t.deliveries.add('d1');
    t.dispatcher.onApplicationBootstrap();
    await until(() => t.posts.length === 1, 'the POST');
    const post = t.posts[0];
    expect(post.url).toBe('http://bot.example/d1');
    expect(JSON.parse(post.body)).toEqual({
      deliveryId: 'd1',
      bot: { id: 'bot-1' },
      event: 'message.new',
      message: { id: 'm-d1' },
    });
    const ts = Number(post.headers['x-chat-timestamp']);
    expect(post.headers).toMatchObject({
      'x-chat-delivery-id': 'd1',
      'x-chat-event': 'message.new',
      'x-chat-signature': webhookSignature(TOKEN_HASH, ts, post.body),
    });
    post.answer(204);
    await until(() => t.deliveries.row('d1').status === 'delivered', 'delivered');
    t.dispatcher.poke();
    await until(() => t.deliveries.claims >= 2, 'a second round');
    expect(t.posts).toHaveLength(1);
    expect(await t.outcomes()).toEqual(['delivered=1']);
  });

  it('retries a refused or unreachable receiver with back-off, and fails the delivery after the last attempt', async () => {
    const t = setup({ pollMs: 5 });
    t.deliveries.add('d1');
    t.dispatcher.onApplicationBootstrap();
    await until(() => t.posts.length === 1, 'attempt 1');
    const before = Date.now();
    t.posts[0].answer(500);
    await until(() => t.deliveries.row('d1').lastError === 'HTTP 500', 'attempt 1 recorded');
    // Due again between half and all of baseMs (10 ms) later, not at once.
    expect(t.deliveries.row('d1').dueAt).toBeGreaterThanOrEqual(before + 5);
    expect(t.deliveries.row('d1').status).toBe('pending');
    await until(() => t.posts.length === 2, 'attempt 2');
    t.posts[1].fail(Errors.validation('WEBHOOK_UNREACHABLE', 'connection refused'));
    await until(() => t.posts.length === 3, 'attempt 3');
    expect(t.deliveries.row('d1').lastError).toBe('WEBHOOK_UNREACHABLE: connection refused');
    t.posts[2].fail(new Error('socket hang up'));
    await until(() => t.deliveries.row('d1').status === 'failed', 'failed for good');
    expect(t.deliveries.row('d1')).toMatchObject({ attempts: 3, lastError: 'socket hang up' });
    expect(await t.outcomes()).toEqual(['failed=1', 'retry=2']);
  });

  it('never has more requests in flight than its concurrency, and takes the backlog as slots free', async () => {
    const t = setup({ concurrency: 2 });
    for (let i = 1; i <= 5; i++) t.deliveries.add(`d${i}`);
    t.dispatcher.onApplicationBootstrap();
    await until(() => t.posts.length === 2, 'two in flight');
    // Each answer frees a slot; the next due row goes out without waiting for the 60 s poll.
    for (let answered = 0; answered < 5; answered++) {
      await until(() => t.posts.length > answered, `post ${answered + 1}`);
      t.posts[answered].answer(200);
    }
    await until(
      () => t.deliveries.rows.every((r) => r.status === 'delivered'),
      'every delivery delivered',
    );
    expect(t.maxInFlight()).toBe(2);
    expect(t.posts.map((p) => p.headers['x-chat-delivery-id']).sort()).toEqual([
      'd1',
      'd2',
      'd3',
      'd4',
      'd5',
    ]);
  });

  it('sends nothing for a bot whose webhook was removed or a message deleted since, and fails those', async () => {
    const t = setup();
    t.deliveries.add('gone', { webhookUrl: null });
    t.deliveries.add('deleted', { messageDeleted: true });
    t.dispatcher.onApplicationBootstrap();
    await until(
      () => t.deliveries.rows.every((r) => r.status === 'failed'),
      'both failed without a POST',
    );
    expect(t.posts).toHaveLength(0);
    expect(t.deliveries.row('gone').lastError).toBe('the bot has no webhook any more');
    expect(t.deliveries.row('deleted').lastError).toBe('the message was deleted before delivery');
  });

  it('shutdown waits for the requests in flight and then claims nothing more', async () => {
    const t = setup();
    t.deliveries.add('d1');
    t.dispatcher.onApplicationBootstrap();
    await until(() => t.posts.length === 1, 'the POST');
    let stopped = false;
    const stopping = t.dispatcher.beforeApplicationShutdown().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    t.deliveries.add('d2');
    t.posts[0].answer(200);
    await stopping;
    expect(t.deliveries.row('d1').status).toBe('delivered');
    const claims = t.deliveries.claims;
    t.dispatcher.poke();
    await new Promise((r) => setImmediate(r));
    expect(t.deliveries.claims).toBe(claims);
    expect(t.deliveries.row('d2').status).toBe('pending');
  });
});
