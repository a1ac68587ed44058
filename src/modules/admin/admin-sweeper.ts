import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { adminConfig, type AdminConfig } from './admin.config.js';
import { MuteRepository, SanctionRepository } from './domain/admin.repository.js';
import { MuteEnforcer } from './mute-enforcer.js';
import { Periodic } from '../../common/periodic.js';

/**
 * Timed sanctions lift themselves: every ADMIN_SWEEP_INTERVAL_MS each instance sets accounts
 * whose ban/disable has ended back to active and drops ended mutes, each with an audit row by
 * the system (actor_id NULL). Every instance sweeps; each sanction is lifted exactly once.
 */
@Injectable()
export class AdminSweeper implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('AdminSweeper');
  private readonly sweep: Periodic;

  constructor(
    private readonly sanctions: SanctionRepository,
    private readonly mutes: MuteRepository,
    private readonly enforcer: MuteEnforcer,
    @Inject(adminConfig.KEY) cfg: AdminConfig,
  ) {
    this.sweep = new Periodic('sweep', cfg.sweepIntervalMs, () => this.run(), this.log);
  }

  onModuleInit(): void {
    this.sweep.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.sweep.stop();
  }

  async run(): Promise<void> {
    const lifted = await this.sanctions.liftExpired();
    if (lifted.length > 0) this.log.log({ users: lifted }, 'timed sanctions ended');
    if ((await this.mutes.removeExpired()) > 0) this.enforcer.invalidate();
  }
}
