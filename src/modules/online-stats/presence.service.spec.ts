import { describe, expect, it } from '@jest/globals';
import type { ChatEvent } from '../../common/events/chat-events.js';
import { ChatExtensions, type ConnectionInfo } from '../../common/extensions/chat-extensions.js';
import { recordingBus } from '../../common/testing/unit-kit.fake.js';
import { InstanceLeaseService } from './instance-lease.service.js';
import { PresenceService } from './presence.service.js';
import { InMemoryLedger } from './testing/in-memory-ledger.fake.js';
import type { RoomsService } from '../rooms/rooms.service.js';

const LEASE_MS = 30_000;

/** Two instances (A and B) sharing one ledger and one bus, as two processes share the database. */
function cluster() {
  const ledger = new InMemoryLedger();
  ledger.roomsByUser.set('u1', ['r1', 'r2']);
  ledger.roomsByUser.set('u2', ['r1']);
  const { bus, published } = recordingBus();
  const cfg = { leaseMs: LEASE_MS, renewEveryMs: 60_000 };
  const instance = (id: string) => {
    const ext = new ChatExtensions();
    const presence = new PresenceService(ext, ledger, bus, {} as RoomsService, {
      id,
    });
    presence.onModuleInit();
    const lease = new InstanceLeaseService(ledger, presence, { id }, cfg);
    let n = 0;
    const conn = (userId: string): ConnectionInfo => ({
      connectionId: `${id}-c${++n}`,
      userId,
      sessionId: `${userId}-s`,
      openedAt: new Date(ledger.now),
    });
    return { ext, presence, lease, conn };
  };
  const presenceEvents = () =>
    published
      .splice(0)
      .flatMap((e: ChatEvent) =>
        e.type === 'presence'
          ? [`${e.userId} ${e.online ? 'online' : 'offline'} in ${e.roomId}`]
          : [],
      );
  return { ledger, published, presenceEvents, a: instance('A'), b: instance('B') };
}

describe('PresenceService and InstanceLeaseService (in-memory ledger, two instances)', () => {
  it('announces a user online at their first connection anywhere and offline at their last, in each of their rooms', async () => {
    const c = cluster();
    await c.a.lease.onModuleInit();
    await c.b.lease.onModuleInit();
    const onA = c.a.conn('u1');
    const onB = c.b.conn('u1');
    await c.a.presence.opened(onA);
    expect(c.presenceEvents()).toEqual(['u1 online in r1', 'u1 online in r2']);
    await c.b.presence.opened(onB); // a second device: nothing new to say
    expect(c.presenceEvents()).toEqual([]);
    await c.a.presence.closed(onA, new Date(c.ledger.now));
    expect(c.presenceEvents()).toEqual([]);
    await c.b.presence.closed(onB, new Date(c.ledger.now));
    expect(c.presenceEvents()).toEqual(['u1 offline in r1', 'u1 offline in r2']);
    await Promise.all([
      c.a.lease.beforeApplicationShutdown(),
      c.b.lease.beforeApplicationShutdown(),
    ]);
  });

  it("records a connection's close after its open, when the close comes while a slow open is written or after a failed one", async () => {
    const c = cluster();
    await c.a.lease.onModuleInit();
    const conn = c.a.conn('u2');
    c.ledger.failNext.add('open');
    const opening = c.a.presence.opened(conn);
    const closing = c.a.presence.closed(conn, new Date(c.ledger.now + 5));
    await Promise.all([opening, closing]);
    // The open failed (logged) and the close still ran after it, not lost behind it: nothing is
    // open, and the user, connected and gone, is announced offline (the truth, if unannounced).
    expect(c.ledger.sessions).toEqual([]);
    expect(c.presenceEvents()).toEqual(['u2 offline in r1']);
    // A slow open: the close, arriving meanwhile, waits for it instead of finding nothing.
    c.ledger.slow.set('open', 20);
    const again = c.a.conn('u2');
    const o = c.a.presence.opened(again);
    const cl = c.a.presence.closed(again, new Date(c.ledger.now + 9));
    await Promise.all([o, cl]);
    expect(c.ledger.sessions).toMatchObject([
      { connectionId: again.connectionId, closeReason: 'closed' },
    ]);
    expect(c.presenceEvents()).toEqual(['u2 online in r1', 'u2 offline in r1']);
    await c.a.lease.beforeApplicationShutdown();
  });

  it("another instance's sweep closes a dead instance's sessions at its last renewal and announces only users with no connection left", async () => {
    const c = cluster();
    await c.a.lease.onModuleInit();
    await c.b.lease.onModuleInit();
    await c.a.presence.opened(c.a.conn('u1'));
    await c.a.presence.opened(c.a.conn('u2'));
    await c.b.presence.opened(c.b.conn('u2')); // u2 is also connected on B
    c.presenceEvents();
    const aRenewedAt = c.ledger.now;
    // A dies (no renewal); B renews for longer than a lease.
    c.ledger.now += LEASE_MS + 1;
    await c.b.lease.tick();
    expect(c.ledger.instances.has('A')).toBe(false);
    expect(c.presenceEvents()).toEqual(['u1 offline in r1', 'u1 offline in r2']);
    expect(
      c.ledger.sessions.filter((s) => s.instanceId === 'A').map((s) => s.closedAt?.getTime()),
    ).toEqual([aRenewedAt, aRenewedAt]);
    expect(c.ledger.sessions.filter((s) => s.closedAt === null).map((s) => s.instanceId)).toEqual([
      'B',
    ]);
    await c.b.lease.beforeApplicationShutdown();
  });

  it('an instance swept while alive registers again, reopens its connections and announces them online', async () => {
    const c = cluster();
    await c.a.lease.onModuleInit();
    await c.b.lease.onModuleInit();
    await c.a.presence.opened(c.a.conn('u1'));
    c.ledger.now += LEASE_MS + 1;
    await c.b.lease.tick(); // B renews and sweeps A, which was only paused
    c.presenceEvents();
    await c.a.lease.tick();
    expect(c.ledger.instances.has('A')).toBe(true);
    expect(c.ledger.sessions.filter((s) => s.closedAt === null)).toHaveLength(1);
    expect(c.presenceEvents()).toEqual(['u1 online in r1', 'u1 online in r2']);
    await Promise.all([
      c.a.lease.beforeApplicationShutdown(),
      c.b.lease.beforeApplicationShutdown(),
    ]);
  });

  it("a failed renewal does not skip the round's sweep, and a clean shutdown closes the instance's sessions at once", async () => {
    const c = cluster();
    await c.a.lease.onModuleInit();
    await c.b.lease.onModuleInit();
    await c.b.presence.opened(c.b.conn('u2'));
    c.presenceEvents();
    c.ledger.now += LEASE_MS + 1;
    c.ledger.failNext.add('renewLease');
    await c.a.lease.tick(); // A's renewal fails; its sweep still closes B, which stopped renewing
    expect(c.ledger.instances.has('B')).toBe(false);
    expect(c.presenceEvents()).toEqual(['u2 offline in r1']);
    await c.a.lease.tick(); // A registers again, having been swept by its own sweep
    await c.a.presence.opened(c.a.conn('u1'));
    c.presenceEvents();
    await c.a.lease.beforeApplicationShutdown();
    expect(c.ledger.instances.has('A')).toBe(false);
    expect(c.ledger.sessions.find((s) => s.userId === 'u1')?.closeReason).toBe('shutdown');
    expect(c.presenceEvents()).toEqual(['u1 offline in r1', 'u1 offline in r2']);
    // Once shutdown began, a new connection is not recorded (its socket is about to close).
    const late = c.a.conn('u2');
    expect(c.a.presence.opened(late)).toBeUndefined();
  });
});
