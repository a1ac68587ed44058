// A port nobody listens on right now, for a process about to be started on it (a service
// instance, S3Proxy, a benchmark's server). Shared by the tests, scripts and the benchmark.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Above the dedicated Kafka brokers' fixed blocks (test/support/dedicated-broker.ts). */
const FIXED_PORTS_END = 22_000;

/**
 * Drawn below the kernel's ephemeral range and checked on every interface: a port from that
 * range (what `listen(0)` hands out) can be given to any outgoing connection between the check
 * and the child's own listen, and in CI one was (the child died with EADDRINUSE). Outgoing
 * connections never take a port below the range.
 */
export async function freePort() {
  const below = ephemeralLow();
  for (let i = 0; i < 50; i++) {
    const port = FIXED_PORTS_END + randomInt(below - FIXED_PORTS_END);
    if (await canListen(port)) return port;
  }
  return anyPort();
}

function ephemeralLow() {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    if (low > FIXED_PORTS_END + 1000) return low;
  } catch {
    // not Linux: the IANA range's start
  }
  return 49_152;
}

/** Whether a listener on every interface (as the service listens) could take the port now. */
function canListen(port) {
  return new Promise((done) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => done(false));
    srv.listen(port, () => srv.close(() => done(true)));
  });
}

function anyPort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
