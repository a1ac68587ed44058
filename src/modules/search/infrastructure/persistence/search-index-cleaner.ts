import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Periodic } from '../../../../common/periodic.js';

/** Often enough that the pending lists stay far below gin_pending_list_limit (4 MB). */
const CLEAN_EVERY_MS = 250;

/**
 * Keeps the search GIN indexes' pending lists short, off the send path. A send appends its
 * message's index entries to a pending list (fastupdate); when a list passes
 * gin_pending_list_limit, the send that crossed it merges the whole list into the index inside
 * its own statement: at 1,000 messages/s that was a stall every second or two, and the send
 * latency's p99 went from 41 to 118 ms (bench/compare.mjs, latency). 8,000 single inserts on
 * 200,000 messages: the slowest took 188 and 89 ms without this, 19 and 12 ms with it. Merged
 * here a quarter of a second's worth at a time, the limit is never reached. A send never waits for this merge
 * (inserts that find a cleanup running only append), and searches read the pending list
 * anyway, so nothing becomes findable later. Every instance runs it; a round that finds
 * another instance's cleanup running skips (an advisory lock), so N instances merge once.
 */
@Injectable()
export class SearchIndexCleaner implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('SearchIndexCleaner');
  private readonly periodic: Periodic;

  constructor(@InjectDataSource() private readonly ds: DataSource) {
    this.periodic = new Periodic(
      'search-index-clean',
      CLEAN_EVERY_MS,
      () => this.clean(),
      this.log,
    );
  }

  onModuleInit(): void {
    this.periodic.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.periodic.stop();
  }

  async clean(): Promise<void> {
    // One instance at a time: the others skip the round instead of queueing on the same
    // merge (the lock is the statement's own transaction's, released when it ends).
    await this.ds.query(
      `SELECT CASE WHEN pg_try_advisory_xact_lock(hashtext('chat:search-index-clean'))
                   THEN gin_clean_pending_list('messages_search_trgm_idx'::regclass)
                      + gin_clean_pending_list('messages_search_words_idx'::regclass)
              END`,
    );
  }
}
