import type { Server } from 'node:http';

/**
 * A shutdown that does not wait out the keep-alive timeout.
 *
 * `server.close()` closes the connections idle at that moment and then waits for the others to
 * end. A request still in flight then completes (its answer is sent), and its connection, kept
 * alive by the client, sits idle for `keepAliveTimeout` (65 s here) before the server lets it
 * go: the whole shutdown waited that long (and a test's afterAll timed out on a busy machine).
 * After close(), every connection is closed as soon as it becomes idle (checked every
 * `everyMs`), and whatever is still open after `graceMs` is closed outright.
 */
export function drainOnClose(server: Server, graceMs: number, everyMs = 50): void {
  const close = server.close.bind(server);
  server.close = (callback?: (err?: Error) => void) => {
    close(callback);
    const sweep = setInterval(() => server.closeIdleConnections(), everyMs);
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    sweep.unref();
    deadline.unref();
    server.once('close', () => {
      clearInterval(sweep);
      clearTimeout(deadline);
    });
    return server;
  };
}
