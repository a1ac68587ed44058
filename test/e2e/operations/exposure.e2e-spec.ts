import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { startTestApp, type TestApp } from '../../support/app.js';
import { expectError, http } from '../../support/http.js';

// What an instance exposes besides its API is a choice of configuration: /metrics and the API
// documentation (/docs, /docs-json) can be off, and /metrics can need a bearer token. In
// production both are off unless chosen (metrics come on with a METRICS_TOKEN).

const JWT_SECRET = randomBytes(32).toString('hex');
const TOKEN = randomBytes(24).toString('hex');

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});
afterAll(async () => {
  await t?.close();
});

const metricsText = (body: unknown) => {
  expect(typeof body).toBe('string');
  expect(body as string).toContain('# TYPE chat_messages_sent_total counter');
};

async function expectDocs(app: TestApp, served: boolean): Promise<void> {
  for (const path of ['/docs', '/docs-json']) {
    const res = await http(app.baseUrl, 'GET', path);
    if (served) expect(res.status).toBe(200);
    else expectError(res, 404, 'NOT_FOUND');
  }
}

describe('production exposure is configured', () => {
  it('METRICS_ENABLED=false and DOCS_ENABLED=false: /metrics, /docs and /docs-json are 404', async () => {
    t = await startTestApp({ METRICS_ENABLED: 'false', DOCS_ENABLED: 'false' });
    expectError(await http(t.baseUrl, 'GET', '/metrics'), 404, 'NOT_FOUND');
    await expectDocs(t, false);
    // The API itself is untouched.
    expect((await http(t.baseUrl, 'GET', '/health/live')).status).toBe(200);
  });

  it('METRICS_TOKEN: /metrics answers 401 without the token or with another one', async () => {
    t = await startTestApp({ METRICS_TOKEN: TOKEN });
    const missing = await http(t.baseUrl, 'GET', '/metrics');
    expectError(missing, 401, 'AUTH_REQUIRED');
    expect(JSON.stringify(missing.body)).not.toContain('chat_messages_sent_total');
    const sameLength = TOKEN.slice(0, -1) + (TOKEN.endsWith('0') ? '1' : '0');
    for (const wrong of [sameLength, 'x', TOKEN + 'x'])
      expectError(await http(t.baseUrl, 'GET', '/metrics', { token: wrong }), 401, 'TOKEN_INVALID');
    expectError(
      await http(t.baseUrl, 'GET', '/metrics', { headers: { authorization: TOKEN } }),
      401,
      'AUTH_REQUIRED',
    );
  });

  it('METRICS_TOKEN: the right bearer token gets the Prometheus text', async () => {
    t = await startTestApp({ METRICS_TOKEN: TOKEN });
    const res = await http(t.baseUrl, 'GET', '/metrics', { token: TOKEN });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    metricsText(res.body);
  });

  it('production defaults: no docs, no metrics without a token', async () => {
    t = await startTestApp({ NODE_ENV: 'production', JWT_SECRET });
    expectError(await http(t.baseUrl, 'GET', '/metrics'), 404, 'NOT_FOUND');
    await expectDocs(t, false);
  });

  it('production with METRICS_TOKEN serves metrics behind it; DOCS_ENABLED=true serves the docs', async () => {
    t = await startTestApp({
      NODE_ENV: 'production',
      JWT_SECRET,
      METRICS_TOKEN: TOKEN,
      DOCS_ENABLED: 'true',
    });
    expectError(await http(t.baseUrl, 'GET', '/metrics'), 401, 'AUTH_REQUIRED');
    metricsText((await http(t.baseUrl, 'GET', '/metrics', { token: TOKEN })).body);
    await expectDocs(t, true);
  });

  it('production with METRICS_ENABLED=true and no token: open, because the operator said so', async () => {
    t = await startTestApp({ NODE_ENV: 'production', JWT_SECRET, METRICS_ENABLED: 'true' });
    metricsText((await http(t.baseUrl, 'GET', '/metrics')).body);
  });
});
