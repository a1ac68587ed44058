import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import pg from 'pg';
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
 * One connection of its own for the probe. Not the service's pool: when every pooled connection
 * is busy (a burst of slow searches), a probe queued behind them timed out, and readiness said
 * the database was unreachable while it answered, taking the instance out of the load balancer
 * at the moment it was busiest (seen in the benchmark's search scenario). Opened on first use,
 * dropped on any error and opened again by the next probe.
 */
export class ProbeConnection {
  private client: pg.Client | null = null;

  constructor(private readonly url: string) {}

  async ping(): Promise<void> {
    let client = this.client;
    if (!client) {
      client = new pg.Client({
        connectionString: this.url,
        application_name: 'chat-backend-watch',
        connectionTimeoutMillis: PING_TIMEOUT_MS,
      });
      // An error on the idle connection (the server went away) is the next ping's to report.
      client.on('error', () => undefined);
      this.client = client;
      try {
        await client.connect();
      } catch (err) {
        this.drop(client);
        throw err;
      }
    }
    try {
      await client.query('SELECT 1');
    } catch (err) {
      this.drop(client);
      throw err;
    }
  }

  /** Ends the connection (shutdown, or a ping its caller gave up on); the next ping opens another. */
  close(): void {
    if (this.client) this.drop(this.client);
  }

  private drop(client: pg.Client): void {
    if (this.client === client) this.client = null;
    void client.end().catch(() => undefined);
  }
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

  constructor(private readonly probe: ProbeConnection) {
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
    this.probe.close();
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
        this.probe.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            // The probe drops its connection on an error it sees; a ping left hanging it cannot
            // see, so its connection is ended here and the next ping opens another.
            this.probe.close();
            reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`));
          }, PING_TIMEOUT_MS);
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
