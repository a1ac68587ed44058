import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger as Pino } from 'pino';
import type { ChatMetrics } from '../metrics/chat-metrics.js';

const ID_RE = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * Gives each request a correlation id (a sane inbound X-Request-Id, or a new one), echoes it,
 * and writes one access-log line and one latency sample when the response finishes.
 * The URL is logged without its query string (a WebSocket ticket never travels to HTTP routes,
 * but nothing in a query is worth the risk).
 */
export function requestContext(log: Pino, metrics: ChatMetrics) {
  return (
    req: Request & { id?: string; principal?: { userId: string } },
    res: Response,
    next: NextFunction,
  ) => {
    const inbound = req.headers['x-request-id'];
    const id = typeof inbound === 'string' && ID_RE.test(inbound) ? inbound : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = (req.route as { path?: string } | undefined)?.path;
      const routeLabel = route ? `${req.baseUrl}${route}` : 'unmatched';
      metrics.httpDuration.observe(
        { method: req.method, route: routeLabel, status: String(res.statusCode) },
        seconds,
      );
      if (req.path.startsWith('/health') || req.path === '/metrics') return;
      log.info(
        {
          requestId: id,
          method: req.method,
          path: req.path,
          route: routeLabel,
          status: res.statusCode,
          ms: Math.round(seconds * 1e4) / 10,
          userId: req.principal?.userId,
          ip: req.ip,
        },
        'request',
      );
    });
    next();
  };
}
