import { request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/app.js';
import { waitFor } from '../support/wait.js';

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

describe('HTTP shutdown', () => {
  it('does not wait out the keep-alive timeout for a request that was still in flight when it began', async () => {
    const t = await startTestApp();
    const server = t.app.getHttpServer() as Server;
    const { port } = server.address() as AddressInfo;
    // A request in flight: its headers are in, its body is not (the connection is not idle).
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    const body = '{"login":""}';
    // Expect: 100-continue: the server's "100 Continue" says it has the headers.
    socket.write(
      'POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n' +
        `Expect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n` +
        body.slice(0, 3),
    );
    await waitFor(() => answer.startsWith('HTTP/1.1 100 '), 'the server to read the headers');
    const closing = t.close();
    let closed = false;
    void closing.then(() => (closed = true));
    // The server stops listening, then the request completes: its answer is sent, and the
    // connection (kept alive by the client) must not hold the shutdown for 65 s.
    await waitFor(() => !server.listening, 'the server to stop listening', { timeoutMs: 60_000 });
    socket.write(body.slice(3));
    await waitFor(() => answer.includes('VALIDATION'), 'the answer to the request in flight');
    const started = Date.now();
    // Without the fix this waits out the 65 s keep-alive timeout.
    await waitFor(() => closed, 'the close to finish', { timeoutMs: 90_000 });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(answer).toMatch(/HTTP\/1\.1 400 /);
    socket.destroy();
  }, 120_000);
});
