import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Periodic } from '../../common/periodic.js';

/** How often the database is probed when nobody asks (readiness probes also probe). */
const WATCH_INTERVAL_MS = 2000;
const PING_TIMEOUT_MS = 2000;

export interface DatabaseState {
  up: boolean;
  /** Why it is down (the driver's message, never the connection string). */
  error?: string;
  /** Since when it is in this state (ISO). */
  since: string;
}

/**
 * Notices when the database goes away and comes back, whether or not anyone asks: one log line
 * per transition (error when lost, info when back), and the state for the readiness probe. The
 * pool needs no help to come back: pg opens fresh connections once the server answers again.
 */
@Injectable()
export class DatabaseWatch implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Database');
  private readonly periodic: Periodic;
  private state: DatabaseState = { up: true, since: new Date().toISOString() };
  private inFlight: Promise<DatabaseState> | null = null;

  constructor(private readonly ds: DataSource) {
    this.periodic = new Periodic(
      'database-watch',
      WATCH_INTERVAL_MS,
      async () => void (await this.check()),
      this.log,
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  /** Pings the database now (one ping at a time, shared) and returns the resulting state. */
  check(): Promise<DatabaseState> {
    this.inFlight ??= this.ping().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async ping(): Promise<DatabaseState> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.ds.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)),
            PING_TIMEOUT_MS,
          );
        }),
      ]);
      if (!this.state.up) {
        const downMs = Date.now() - Date.parse(this.state.since);
        this.state = { up: true, since: new Date().toISOString() };
        this.log.log({ downMs }, 'database reachable again');
      }
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (this.state.up) {
        this.state = { up: false, error, since: new Date().toISOString() };
        this.log.error({ error }, 'database unreachable: not ready until it answers again');
      } else {
        this.state = { ...this.state, error };
      }
    } finally {
      clearTimeout(timer);
    }
    return this.state;
  }
}
