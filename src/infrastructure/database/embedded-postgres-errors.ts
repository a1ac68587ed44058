/**
 * The embedded PostgreSQL cannot be used, for a reason the operator can act on: the message is
 * one line saying why and what to do, and the process exits with `exitCode` (sysexits codes),
 * without a stack trace.
 */
export class EmbeddedPostgresError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'EmbeddedPostgresError';
  }
}

/** sysexits.h: the codes an init system or a script can tell apart. */
export const EX_NOPERM = 77;
export const EX_TEMPFAIL = 75;
