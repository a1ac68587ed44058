import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/load-config.js';

export interface TestApp {
  app: INestApplication;
  baseUrl: string;
  wsUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the whole application on a random loopback port, against the run's database.
 * `env` overrides the process environment for this app's configuration only.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const merged = { ...process.env, ...env };
  const app = await createApp({ config: loadConfig(merged), databaseUrl: merged.DATABASE_URL! });
  await app.listen(0, '127.0.0.1');
  const addr = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${addr.port}`;
  return { app, baseUrl, wsUrl: `ws://127.0.0.1:${addr.port}/ws`, close: () => app.close() };
}
