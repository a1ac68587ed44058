import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/load-config.js';
import { http, registerUser } from '../support/http.js';
import { WsTestClient } from '../support/ws-client.js';

describe('structured logs', () => {
  let app: INestApplication;
  let baseUrl: string;
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        cb();
      },
    });
    const logger = pino(
      {
        level: 'info',
        redact: {
          paths: ['password', '*.password', 'req.headers.authorization'],
          censor: '[redacted]',
        },
      },
      sink,
    );
    app = await createApp({
      config: loadConfig(process.env),
      databaseUrl: process.env.DATABASE_URL!,
      logger,
    });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app.close();
  });

  it('are JSON lines with a request id, and never contain passwords, tokens or tickets', async () => {
    const user = await registerUser(baseUrl, { password: 'a very secret passphrase' });
    const login = await http(baseUrl, 'POST', '/api/auth/login', {
      body: { login: user.username, password: user.password },
      headers: { 'x-request-id': 'trace-me-123' },
    });
    expect(login.status).toBe(200);
    const refreshed = await http(baseUrl, 'POST', '/api/auth/refresh', {
      body: { refreshToken: login.body.refreshToken },
    });
    const ticket = await http(baseUrl, 'POST', '/api/auth/ws-ticket', {
      token: refreshed.body.accessToken,
    });
    const ws = await WsTestClient.connect(`${baseUrl.replace('http', 'ws')}/ws`, {
      ticket: ticket.body.ticket,
    });
    ws.close();
    await http(baseUrl, 'POST', '/api/auth/login', {
      body: { login: user.username, password: 'wrong password!' },
    });

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.length).toBeGreaterThan(0);
    const loginLine = parsed.find((l) => l.requestId === 'trace-me-123');
    expect(loginLine).toMatchObject({ method: 'POST', path: '/api/auth/login', status: 200 });

    const all = lines.join('\n');
    for (const secret of [
      user.password,
      'wrong password!',
      user.accessToken,
      user.refreshToken,
      login.body.accessToken,
      login.body.refreshToken,
      refreshed.body.refreshToken,
      ticket.body.ticket,
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});
