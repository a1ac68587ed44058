import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { Periodic } from '../../common/periodic.js';
import { attachmentsConfig, type AttachmentsConfig } from './attachments.config.js';
import { AttachmentRepository } from './domain/attachment.repository.js';
import { AttachmentStore } from './domain/attachment-store.js';

/** Rows per round: a backlog drains over a few rounds, never in one long transaction. */
const BATCH = 200;

/**
 * Deletes uploads no message took within ATTACHMENT_UNBOUND_TTL_SEC (24 h), and the files of
 * messages that were deleted or are gone (retention, a deleted room) when the delete itself
 * could not. Every instance runs it; a round that finds another instance's round running
 * skips (an advisory lock in the repository), so N instances sweep once.
 */
@Injectable()
export class AttachmentSweeper implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('AttachmentSweeper');
  private readonly periodic: Periodic;

  constructor(
    private readonly repo: AttachmentRepository,
    private readonly store: AttachmentStore,
    @Inject(attachmentsConfig.KEY) private readonly cfg: AttachmentsConfig,
  ) {
    this.periodic = new Periodic(
      'attachment-sweep',
      cfg.sweepIntervalMs,
      async () => {
        await this.sweep();
      },
      this.log,
    );
  }

  onModuleInit(): void {
    this.periodic.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.periodic.stop();
  }

  /** One round; answers how many attachments went (-1: another instance was sweeping). */
  async sweep(now = Date.now()): Promise<number> {
    const before = new Date(now - this.cfg.unboundTtlSec * 1000);
    const n = await this.repo.sweep(before, BATCH, (keys) => this.store.remove(keys));
    if (n > 0) this.log.log({ removed: n }, 'attachments swept');
    return n;
  }
}
