import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Periodic } from '../../common/periodic.js';
import { SessionLedger } from './domain/session-ledger.js';
import { onlineStatsConfig, type OnlineStatsConfig } from './online-stats.config.js';
import { PresenceService } from './presence.service.js';
import { StatsInstance } from './stats-instance.js';

/**
 * Keeps this instance's lease alive and sweeps up after instances that died: every third of the
 * lease it renews its own lease, then closes the open sessions of every instance whose lease
 * has lapsed, at that instance's last renewal, and announces those users offline (unless they
 * are connected elsewhere). A clean shutdown closes this instance's sessions at shutdown time.
 */
@Injectable()
export class InstanceLeaseService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('OnlineLease');
  private readonly rounds: Periodic;

  constructor(
    private readonly ledger: SessionLedger,
    private readonly presence: PresenceService,
    private readonly instance: StatsInstance,
    @Inject(onlineStatsConfig.KEY) private readonly cfg: OnlineStatsConfig,
  ) {
    this.rounds = new Periodic('lease', cfg.renewEveryMs, () => this.tick(), this.log);
  }

  get instanceId(): string {
    return this.instance.id;
  }

  async onModuleInit(): Promise<void> {
    // Registered before the server listens, so every session this instance records has a lease.
    await this.ledger.registerInstance(this.instance.id, this.cfg.leaseMs);
    this.rounds.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.rounds.stop();
    await this.presence.stop();
    try {
      const users = await this.ledger.retireInstance(this.instance.id, new Date());
      await this.presence.announceOffline(users);
    } catch (err) {
      // The lease lapses and another instance's sweeper closes the sessions instead.
      this.log.error({ err: String(err) }, 'could not close this instance’s sessions');
    }
  }

  /** One renewal and one sweep (also what the timer runs). */
  async tick(): Promise<void> {
    try {
      await this.renew();
    } catch (err) {
      this.log.warn({ err: String(err) }, 'lease renewal failed');
    }
    try {
      await this.sweep();
    } catch (err) {
      this.log.warn({ err: String(err) }, 'sweep failed');
    }
  }

  /** Closes the sessions of instances whose lease has lapsed; answers those instances. */
  async sweep(): Promise<string[]> {
    const { instanceIds, userIds } = await this.ledger.sweepLapsed(this.cfg.leaseMs);
    if (instanceIds.length > 0 || userIds.length > 0)
      this.log.warn(
        { instances: instanceIds, users: userIds.length },
        'closed the sessions of instances whose lease lapsed',
      );
    await this.presence.announceOffline(userIds);
    return instanceIds;
  }

  private async renew(): Promise<void> {
    if (await this.ledger.renewLease(this.instance.id, this.cfg.leaseMs)) return;
    // Another instance took this one for dead (it could not renew for a whole lease) and closed
    // its sessions. It is alive: register again and reopen the sessions still connected here.
    await this.ledger.registerInstance(this.instance.id, this.cfg.leaseMs);
    const users = await this.ledger.reopenLost(
      this.instance.id,
      this.presence.localConnectionIds(),
    );
    this.log.warn({ reopenedUsers: users.length }, 'lease had lapsed; registered again');
    await this.presence.announceOnline(users);
  }
}
