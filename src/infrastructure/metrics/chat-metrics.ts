import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per app instance (tests run several apps in one process). */
@Injectable()
export class ChatMetrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly socketsOpen = new Gauge({
    name: 'ws_connections_open',
    help: 'WebSocket connections open on this instance',
    registers: [this.registry],
  });

  readonly messagesSent = new Counter({
    name: 'chat_messages_sent_total',
    help: 'Messages stored by this instance',
    registers: [this.registry],
  });

  /**
   * Deliveries are counted with a plain increment on the fan-out path and added to the
   * counter when Prometheus scrapes (a prom-client inc per socket showed in profiles).
   */
  deliveredSinceScrape = 0;

  readonly deliveries = new Counter({
    name: 'chat_deliveries_total',
    help: 'message.new frames written to sockets on this instance',
    registers: [this.registry],
    collect: () => {
      if (this.deliveredSinceScrape > 0) {
        this.deliveries.inc(this.deliveredSinceScrape);
        this.deliveredSinceScrape = 0;
      }
    },
  });

  readonly gapFills = new Counter({
    name: 'chat_gap_fills_total',
    help: 'Times a subscriber was caught up from the database because a seq arrived out of order',
    registers: [this.registry],
  });

  readonly wsDisconnects = new Counter({
    name: 'ws_disconnects_total',
    help: 'WebSocket connections ended, by reason (rate_limited, slow_reader, too_big, invalid_utf8, protocol_error, session_ended, heartbeat, shutdown, client_close, connection_lost)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly wsUpgradesRefused = new Counter({
    name: 'ws_upgrades_refused_total',
    help: 'WebSocket upgrades refused before they completed, by error code (lower case)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly busEvents = new Counter({
    name: 'chat_bus_events_received_total',
    help: 'ChatEvents received from the event bus, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
