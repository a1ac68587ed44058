// The service serves the built web app (dist/web) at `/`: its files, and index.html for pages a
// browser navigates to; everything else keeps its answer (the JSON 404 included).
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const page = (path: string) => fetch(t.baseUrl + path, { headers: { accept: 'text/html' } });

it('GET / is the app, and so is any other page a browser opens', async () => {
  for (const path of ['/', '/rooms/some-room']) {
    const res = await page(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    expect(html).toContain('<div id="app">');
    // Its hashed assets are served, cached for good, under the same CSP as everything else.
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
    const js = await fetch(t.baseUrl + asset);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  }
});

it('API, docs, health and metrics paths, and requests not asking for HTML, are not the app', async () => {
  for (const path of ['/api/nope', '/health', '/metrics/x', '/ws/extra', '/docs/x']) {
    const res = await page(path);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
  }
  const res = await fetch(t.baseUrl + '/nothing'); // Accept: */*
  expect(res.status).toBe(404);
  expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND');
  expect((await page('/health/live')).status).toBe(200);
});
