import {
  ArgumentsHost,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  ServiceUnavailableException,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { setRateLimitHeaders } from '../http/rate-limit-headers.js';
import { isDatabaseUnavailable } from '../../infrastructure/database/database-unavailable.js';
import { DomainError, type ErrorKind } from './domain-error.js';

const STATUS: Record<ErrorKind, number> = {
  validation: HttpStatus.BAD_REQUEST,
  unauthorized: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

const DEFAULT_CODE: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'AUTH_REQUIRED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  code: string;
  requestId?: string;
}

function reason(status: number): string {
  const name = HttpStatus[status];
  return typeof name === 'string'
    ? name
        .toLowerCase()
        .split('_')
        .map((w) => w[0].toUpperCase() + w.slice(1))
        .join(' ')
    : 'Error';
}

/** body-parser's marker for a request body that is not valid JSON. */
const isJsonParseError = (err: unknown): boolean =>
  (err as { type?: unknown } | null | undefined)?.type === 'entity.parse.failed';

/** Maps domain errors, Nest HTTP exceptions and crashes to the contract's error body. */
export function toErrorBody(exception: unknown): {
  body: ErrorBody;
  retryAfterSec?: number;
  limit?: number;
} {
  if (exception instanceof DomainError) {
    const status = STATUS[exception.kind];
    return {
      body: {
        statusCode: status,
        error: reason(status),
        message: exception.message,
        code: exception.code,
      },
      retryAfterSec: exception.retryAfterSec,
      limit: exception.limit,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    // Nest wraps body-parser's SyntaxError for bad JSON in a BadRequestException.
    if (isJsonParseError(exception.cause)) {
      const message = 'request body is not valid JSON';
      return {
        body: { statusCode: status, error: reason(status), message, code: 'MALFORMED_JSON' },
      };
    }
    const res = exception.getResponse();
    let message: string | string[] = exception.message;
    let code = DEFAULT_CODE[status] ?? 'ERROR';
    if (typeof res === 'object' && res !== null) {
      const r = res as { message?: string | string[]; code?: string };
      if (r.message !== undefined) message = r.message;
      if (typeof r.code === 'string') code = r.code;
    }
    // Express's body parser reports bad JSON / oversized bodies as HttpErrors with a status.
    return { body: { statusCode: status, error: reason(status), message, code } };
  }
  if (isDatabaseUnavailable(exception))
    return {
      body: {
        statusCode: 503,
        error: reason(503),
        message: 'the database is unavailable; try again shortly',
        code: 'UNAVAILABLE',
      },
      retryAfterSec: 1,
    };
  const maybe = exception as { status?: number; type?: string; message?: string };
  if (typeof maybe?.status === 'number' && maybe.status >= 400 && maybe.status < 500) {
    const code = isJsonParseError(maybe)
      ? 'MALFORMED_JSON'
      : (DEFAULT_CODE[maybe.status] ?? 'ERROR');
    const message = isJsonParseError(maybe)
      ? 'request body is not valid JSON'
      : (maybe.message ?? 'bad request');
    return { body: { statusCode: maybe.status, error: reason(maybe.status), message, code } };
  }
  return {
    body: {
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'internal error',
      code: 'INTERNAL_ERROR',
    },
  };
}

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request & { id?: string }>();
    if (res.headersSent) return;
    // A failing readiness check (terminus) answers its own report: which dependency is down.
    if (exception instanceof ServiceUnavailableException) {
      const report = exception.getResponse();
      if (typeof report === 'object' && report !== null && 'details' in report) {
        res
          .status(503)
          .json({ ...report, statusCode: 503, code: 'UNAVAILABLE', requestId: req.id });
        return;
      }
    }
    const { body, retryAfterSec, limit } = toErrorBody(exception);
    body.requestId = req.id;
    if (!(exception instanceof DomainError) && isDatabaseUnavailable(exception)) {
      // The database is away: DatabaseWatch logs the outage once; each request, briefly.
      this.logger.warn(
        { requestId: req.id, reason: errorMessage(exception) },
        'database unavailable',
      );
    } else if (body.statusCode >= 500 && !(exception instanceof HttpException)) {
      // A crash, not an answer the code chose: this is the one worth a stack trace.
      this.logger.error(
        {
          err:
            exception instanceof Error
              ? { message: exception.message, stack: exception.stack }
              : exception,
          requestId: req.id,
        },
        'unhandled error',
      );
    }
    if (retryAfterSec !== undefined) {
      const wait = Math.max(1, Math.ceil(retryAfterSec));
      res.setHeader('Retry-After', String(wait));
      // The quota that ran out, even where a guard already described another one (the
      // per-caller limit before a room's join throttle): nothing left until Retry-After.
      if (limit !== undefined)
        setRateLimitHeaders(res, { limit, remaining: 0, resetMs: wait * 1000 });
    }
    res.status(body.statusCode).json(body);
  }
}

const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));
