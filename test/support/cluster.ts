// Two service processes of the built app on one fresh, fully migrated database and one Kafka
// topic of their own: the fixture the enterprise modules' cross-instance suites share.
import { afterAll, beforeAll } from '@jest/globals';
import { createEnterpriseDatabase } from './flags.js';
import type { TestUser } from './http.js';
import { deleteTopics, testBrokers } from './kafka.js';
import {
  newJwtSecret,
  startServices,
  stopAll,
  uniqueTopic,
  type ServiceProcess,
} from './service-process.js';
import { connectWithTicket, type WsTestClient } from './ws-client.js';

export interface TwoInstances {
  /** Instance A and B (throw until the suite's beforeAll has started them). */
  readonly a: ServiceProcess;
  readonly b: ServiceProcess;
  /** The suite's own database (every module's tables). */
  readonly databaseUrl: string;
  /** For withServiceLogs: both processes, started or not. */
  services(): (ServiceProcess | undefined)[];
  /** A WebSocket for the user on that instance, terminated after the suite. */
  ws(svc: ServiceProcess, user: TestUser): Promise<WsTestClient>;
  /** Terminates every socket opened through ws() so far. */
  closeSockets(): void;
}

/**
 * Registers beforeAll/afterAll for a suite: a database from createEnterpriseDatabase(), a unique
 * topic on the test broker, and instances `${name}-a`, `${name}-b` started with `env` (the
 * module flags and settings the suite needs). Everything is stopped and dropped afterwards.
 */
export function twoInstancesOnKafka(name: string, env: Record<string, string>): TwoInstances {
  const topic = uniqueTopic(name);
  const jwtSecret = newJwtSecret();
  let brokers = '';
  let db: { url: string; drop(): Promise<void> } | undefined;
  let a: ServiceProcess | undefined;
  let b: ServiceProcess | undefined;
  const sockets: WsTestClient[] = [];
  const started = (s: ServiceProcess | undefined, which: string): ServiceProcess => {
    if (!s) throw new Error(`instance ${which} is not started (beforeAll failed?)`);
    return s;
  };

  beforeAll(async () => {
    brokers = testBrokers(); // fails the suite with the setup's explanation when no broker
    db = await createEnterpriseDatabase();
    [a, b] = await startServices([
      { name: `${name}-a`, brokers, topic, jwtSecret, databaseUrl: db.url, env },
      { name: `${name}-b`, brokers, topic, jwtSecret, databaseUrl: db.url, env },
    ]);
  }, 120_000);

  afterAll(async () => {
    for (const c of sockets) c.terminate();
    await stopAll([a, b]);
    if (brokers) await deleteTopics(brokers, [topic]);
    await db?.drop();
  }, 60_000);

  return {
    get a() {
      return started(a, 'A');
    },
    get b() {
      return started(b, 'B');
    },
    get databaseUrl() {
      if (!db) throw new Error('the database is not created (beforeAll failed?)');
      return db.url;
    },
    services: () => [a, b],
    closeSockets: () => {
      for (const c of sockets.splice(0)) c.terminate();
    },
    ws: async (svc, user) => {
      const c = await connectWithTicket(svc, user);
      sockets.push(c);
      return c;
    },
  };
}
