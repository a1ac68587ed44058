import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { until } from '../../common/testing/unit-kit.fake.js';
import type { RealtimeHub } from '../realtime/realtime-hub.service.js';
import type { AdminConfig } from './admin.config.js';
import { ClusterOverviewService } from './cluster-overview.service.js';
import { InMemoryOverview } from './testing/in-memory-admin.fake.js';

const INTERVAL_MS = 20;

/** An instance's overview service over a shared in-memory table; `sockets` is its hub's count. */
function instance(repo: InMemoryOverview, id: string) {
  const hub = { openConnections: 0 };
  const service = new ClusterOverviewService(
    repo,
    hub as unknown as RealtimeHub,
    { heartbeatIntervalMs: INTERVAL_MS } as AdminConfig,
    { id, configured: true },
  );
  return { service, hub };
}

describe('ClusterOverviewService', () => {
  const started: ClusterOverviewService[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.onModuleDestroy()));
    jest.restoreAllMocks();
  });
  const start = (s: ClusterOverviewService) => {
    started.push(s);
    s.onModuleInit();
  };

  it("counts this instance's live sockets and the others' last heartbeats, leaving out instances gone quiet", async () => {
    const repo = new InMemoryOverview();
    Object.assign(repo, { users: 12, rooms: 4, messagesToday: 99 });
    const a = instance(repo, 'A');
    const b = instance(repo, 'B');
    a.hub.openConnections = 3;
    b.hub.openConnections = 5;
    start(a.service);
    start(b.service);
    await until(() => repo.beats.includes('A 3') && repo.beats.includes('B 5'), 'both heartbeats');
    // A third instance reported 7 sockets long ago and has been silent since.
    repo.instances.set('C', { sockets: 7, at: repo.now - 3 * INTERVAL_MS - 1 });

    a.hub.openConnections = 4; // live, not yet in any heartbeat
    const o = await a.service.overview();
    expect(o).toMatchObject({
      users: 12,
      rooms: 4,
      messagesToday: 99,
      socketsOpen: 9,
      instances: 2,
    });
  });

  it('heartbeats every interval with the current count, and goes on after a failed one', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const repo = new InMemoryOverview();
    const a = instance(repo, 'A');
    a.hub.openConnections = 1;
    repo.failNext.add('heartbeat');
    start(a.service);
    a.hub.openConnections = 2;
    await until(() => repo.beats.includes('A 2'), 'a heartbeat after the failed one');
    expect(repo.beats[0]).toBe('A 2'); // the first round failed: nothing was written
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ err: 'Error: heartbeat: database unavailable', task: 'heartbeat' }),
      'task failed',
    );
    a.hub.openConnections = 6;
    await until(() => repo.beats.includes('A 6'), 'the next count');
  });

  it('stops heartbeating and removes its row when the module stops, even when the removal fails', async () => {
    const repo = new InMemoryOverview();
    const a = instance(repo, 'A');
    const b = instance(repo, 'B');
    start(a.service);
    b.service.onModuleInit();
    await until(() => repo.instances.has('A') && repo.instances.has('B'), 'both rows');
    await b.service.onModuleDestroy();
    expect(repo.instances.has('B')).toBe(false);
    expect((await a.service.overview()).instances).toBe(1);
    // A keeps beating; B, stopped, never again.
    const fromB = () => repo.beats.filter((x) => x.startsWith('B')).length;
    const fromA = () => repo.beats.filter((x) => x.startsWith('A')).length;
    const [b0, a0] = [fromB(), fromA()];
    await until(() => fromA() >= a0 + 3, 'three more heartbeats from A');
    expect(fromB()).toBe(b0);
    expect(repo.instances.has('B')).toBe(false);

    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    repo.failNext.add('forget');
    started.length = 0;
    await a.service.onModuleDestroy();
    expect(warn).toHaveBeenCalledWith(
      { err: 'Error: forget: database unavailable' },
      'could not remove instance row',
    );
  });
});
