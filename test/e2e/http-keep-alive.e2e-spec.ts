import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';

/** The raw response headers of one GET, over a kept-alive connection. */
function getHeaders(baseUrl: string, path: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(baseUrl + path, { headers: { connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP keep-alive', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('keeps idle connections longer than load balancers and clients do, and says so', async () => {
    const headers = await getHeaders(t.baseUrl, '/health/live');
    expect(headers.connection).toBe('keep-alive');
    // Node announces its keepAliveTimeout; its default (5 s) raced clients that reuse a
    // connection after ~4 s on a busy machine ("other side closed").
    expect(headers['keep-alive']).toBe('timeout=65');
  });
});
