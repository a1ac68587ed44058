import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { retentionConfig, type RetentionConfig } from '../../config/configuration.js';
import { Periodic } from '../../common/periodic.js';
import { RetentionRepository } from './domain/retention.repository.js';

/** Rooms looked at per read while looking for expired ones. */
const ROOMS_PER_PAGE = 500;

export interface SweepReport {
  rooms: number;
  messages: number;
  events: number;
}

/**
 * Deletes messages and room events past their room's retention (the room's retentionDays, else
 * RETENTION_DAYS), once across instances: every instance tries a round every
 * RETENTION_SWEEP_MS, and a round that finds another instance's sweep running skips (a lock).
 * A round walks the rooms and, in each room whose log starts too long ago, deletes batches of
 * RETENTION_BATCH events (and their messages) until what is left is young enough. What is left
 * keeps its seqs and eventSeqs; the rooms' lastSeq and lastEventSeq do not move, so unread
 * counts (lastSeq - lastReadSeq) stay what they were.
 */
@Injectable()
export class RetentionSweeper implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('RetentionSweeper');
  private readonly periodic: Periodic;
  private stopping = false;

  constructor(
    private readonly repo: RetentionRepository,
    @Inject(retentionConfig.KEY) private readonly cfg: RetentionConfig,
  ) {
    this.periodic = new Periodic('retention-sweep', cfg.sweepMs, () => this.round(), this.log);
  }

  onModuleInit(): void {
    this.periodic.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await this.periodic.stop();
  }

  /** One round; null when another instance was sweeping. */
  async sweep(): Promise<SweepReport | null> {
    const outcome = await this.repo.exclusively(() => this.sweepAll());
    return outcome.ran ? outcome.value : null;
  }

  private async round(): Promise<void> {
    const report = await this.sweep();
    if (report && report.rooms > 0) this.log.log({ ...report }, 'retention sweep');
  }

  private async sweepAll(): Promise<SweepReport> {
    const report: SweepReport = { rooms: 0, messages: 0, events: 0 };
    const serverDays = this.cfg.defaultDays;
    let after: string | null = null;
    do {
      const page = await this.repo.roomsDue(after, ROOMS_PER_PAGE, serverDays);
      for (const roomId of page.roomIds) {
        if (this.stopping) return report;
        report.rooms++;
        for (;;) {
          const swept = await this.repo.deleteExpired(roomId, serverDays, this.cfg.batch);
          report.messages += swept.messages;
          report.events += swept.events;
          // A short batch reached the first event still kept (or the log's end).
          if (swept.events < this.cfg.batch || this.stopping) break;
        }
      }
      after = page.next;
    } while (after !== null && !this.stopping);
    return report;
  }
}
