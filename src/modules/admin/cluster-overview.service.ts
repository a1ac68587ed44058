import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { InstanceIdentity } from '../../infrastructure/instance-identity.js';
import { RealtimeHub } from '../realtime/realtime-hub.service.js';
import { adminConfig, type AdminConfig } from './admin.config.js';
import { OverviewRepository } from './domain/admin.repository.js';
import { Periodic } from '../../common/periodic.js';

export interface Overview {
  users: number;
  rooms: number;
  messagesToday: number;
  socketsOpen: number;
  instances: number;
  generatedAt: Date;
}

/**
 * The service at a glance. Sockets are counted cluster-wide: every instance upserts its open
 * sockets into admin_instances each ADMIN_HEARTBEAT_INTERVAL_MS; the overview adds this
 * instance's live count to the rows of the others heard from within three intervals.
 */
@Injectable()
export class ClusterOverviewService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('AdminOverview');
  readonly instanceId: string;
  private readonly heartbeat: Periodic;

  constructor(
    private readonly repo: OverviewRepository,
    private readonly hub: RealtimeHub,
    @Inject(adminConfig.KEY) private readonly cfg: AdminConfig,
    identity: InstanceIdentity,
  ) {
    this.instanceId = identity.id;
    this.heartbeat = new Periodic(
      'heartbeat',
      cfg.heartbeatIntervalMs,
      () =>
        this.repo.heartbeat(
          this.instanceId,
          this.hub.openConnections,
          Math.max(10 * cfg.heartbeatIntervalMs, 60_000),
        ),
      this.log,
    );
  }

  onModuleInit(): void {
    this.heartbeat.start(true);
  }

  async onModuleDestroy(): Promise<void> {
    await this.heartbeat.stop();
    await this.repo
      .forget(this.instanceId)
      .catch((err: unknown) =>
        this.log.warn({ err: String(err) }, 'could not remove instance row'),
      );
  }

  async overview(): Promise<Overview> {
    const c = await this.repo.counts(this.instanceId, 3 * this.cfg.heartbeatIntervalMs);
    return {
      users: c.users,
      rooms: c.rooms,
      messagesToday: c.messagesToday,
      socketsOpen: c.otherSockets + this.hub.openConnections,
      instances: c.otherInstances + 1,
      generatedAt: new Date(),
    };
  }
}
