// Framework-free error model shared by every bounded context's domain and application layers.
// One HTTP filter and one WebSocket filter map these to answers; the `code` is the stable
// machine-readable part of the public contract.

export type ErrorKind =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    /** Seconds a client should wait before retrying (rate_limited only). */
    readonly retryAfterSec?: number,
    /** The quota that ran out (rate_limited only): its size, for the RateLimit-Limit header. */
    readonly limit?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const Errors = {
  validation: (code: string, message: string) => new DomainError('validation', code, message),
  unauthorized: (code: string, message: string) => new DomainError('unauthorized', code, message),
  forbidden: (code: string, message: string) => new DomainError('forbidden', code, message),
  notFound: (code: string, message: string) => new DomainError('not_found', code, message),
  conflict: (code: string, message: string) => new DomainError('conflict', code, message),
  rateLimited: (code: string, message: string, retryAfterSec: number, limit?: number) =>
    new DomainError('rate_limited', code, message, retryAfterSec, limit),
};
