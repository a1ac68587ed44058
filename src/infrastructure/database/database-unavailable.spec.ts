import { describe, expect, it } from '@jest/globals';
import { isDatabaseUnavailable } from './database-unavailable.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('knows a database that is away: refused, dropped, shutting down, out of slots', () => {
    for (const e of [
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('the database system is starting up', '57P03'),
      withCode('sorry, too many clients already', '53300'),
      withCode('connection failure', '08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      // TypeORM's QueryFailedError keeps pg's error as driverError.
      Object.assign(new Error('Query failed'), { driverError: withCode('x', '57P01') }),
      Object.assign(new Error('wrapped'), { cause: withCode('y', 'ECONNRESET') }),
    ])
      expect(isDatabaseUnavailable(e)).toBe(true);
  });

  it('is not fooled by a statement that failed, or by anything else', () => {
    for (const e of [
      withCode('duplicate key value violates unique constraint', '23505'),
      withCode('division by zero', '22012'),
      withCode('canceling statement due to statement timeout', '57014'),
      new Error('boom'),
      'a string',
      null,
      undefined,
    ])
      expect(isDatabaseUnavailable(e)).toBe(false);
  });
});
