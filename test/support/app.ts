import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../src/app.factory.js';

export interface TestApp {
  app: INestApplication;
  baseUrl: string;
  wsUrl: string;
  close(): Promise<void>;
}

/**
 * Starts the whole application on a random loopback port, against the run's database.
 * `env` overrides configuration for this app (restored after it is built).
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  let app: INestApplication;
  try {
    app = await createApp({ databaseUrl: process.env.DATABASE_URL! });
    await app.listen(0, '127.0.0.1');
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const addr = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${addr.port}`;
  return { app, baseUrl, wsUrl: `ws://127.0.0.1:${addr.port}/ws`, close: () => app.close() };
}
