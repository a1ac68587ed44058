import type { LoggerService } from '@nestjs/common';
import { pino, type Logger as Pino } from 'pino';

// Anything that could carry a secret is redacted wherever it appears in a log object.
const REDACT = [
  'password',
  '*.password',
  'refreshToken',
  '*.refreshToken',
  'accessToken',
  '*.accessToken',
  'ticket',
  '*.ticket',
  'token',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

export function createRootLogger(level: string): Pino {
  return pino({
    level,
    base: { service: 'chat-backend', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** Nest's LoggerService over pino: one JSON line per log, with the Nest context as `context`. */
export class PinoNestLogger implements LoggerService {
  constructor(readonly pino: Pino) {}

  private write(
    level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    params: unknown[],
  ): void {
    const context =
      typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const child = context ? this.pino.child({ context }) : this.pino;
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      const msg = typeof params[0] === 'string' ? params[0] : undefined;
      child[level](message, msg);
    } else if (message instanceof Error) {
      child[level]({ err: { message: message.message, stack: message.stack } }, message.message);
    } else {
      const stack = level === 'error' && typeof params[0] === 'string' ? params[0] : undefined;
      child[level](stack ? { stack } : {}, String(message));
    }
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }
}
