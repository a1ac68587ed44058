import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { PgPool } from './prepared.js';

/**
 * What every connection of a GenericPlanPool is opened with (the startup packet's `options`), so
 * no statement has to set and reset them. Sequential scans off: every statement run here reads
 * through an index by design, and a generic plan cannot see a term's trigrams, so it costs a
 * GIN lookup as a read of the whole index and, on a table of some 50,000 rows, chose a whole-table
 * scan for each room of a search (test/integration/search-plans.int-spec.ts).
 */
export const GENERIC_PLAN_OPTIONS =
  '-c plan_cache_mode=force_generic_plan -c jit=off -c enable_seqscan=off';

/** How long an idle connection of a GenericPlanPool, and the plans it holds, is kept. */
export const GENERIC_PLAN_IDLE_MS = 5 * 60_000;

/**
 * A pg pool whose connections run every prepared statement on its generic plan, planned once per
 * connection, and never JIT-compile. For statements whose shape, not their values, decides the
 * plan, but which PostgreSQL would otherwise plan anew on every execution: it keeps custom plans
 * when the generic one's estimate is higher, and a search merging 200 rooms cost 13 ms of
 * planning for 14 ms of execution on a custom plan against 4 ms on the generic one (JIT: above
 * jit_above_cost, a 1,024-room merge spent 2.5 s compiling per execution).
 *
 * Its own pool, not TypeORM's with the settings set around each statement: that cost two round
 * trips per statement. Only statements that want a generic plan belong here; with
 * force_generic_plan even an unnamed statement is planned without its values.
 */
export class GenericPlanPool implements PgPool {
  private readonly pool: pg.Pool;
  private readonly log = new Logger(GenericPlanPool.name);

  constructor(url: string, max: number) {
    this.pool = new pg.Pool({
      connectionString: url,
      max,
      options: GENERIC_PLAN_OPTIONS,
      application_name: 'chat-backend-generic-plans',
      // A connection's plans go with it: pg's default closes one idle for 10 s, and the next
      // search planned its merge again (13 ms for 200 rooms, ~150 ms for 1,000). Kept 5 min.
      idleTimeoutMillis: GENERIC_PLAN_IDLE_MS,
    });
    // An idle connection the server ends is dropped by the pool; the next query opens another.
    // Said once per connection, so an outage or a terminated backend shows in the log.
    this.pool.on('error', (err) =>
      this.log.warn(`an idle connection was lost (the next search opens another): ${err.message}`),
    );
  }

  query(config: { name?: string; text: string; values?: unknown[] }) {
    return this.pool.query(config);
  }

  /** Called by Nest when the app closes, as TypeORM closes its own pool. */
  onApplicationShutdown(): Promise<void> {
    return this.pool.end();
  }
}
