import { describe, expect, it } from '@jest/globals';
import { DomainError } from './domain-error.js';
import { toErrorBody } from './http-exception.filter.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('toErrorBody for a database that is away', () => {
  it('answers 503 UNAVAILABLE with a Retry-After, and says nothing of the connection', () => {
    const { body, retryAfterSec } = toErrorBody(
      withCode('connect ECONNREFUSED 10.0.0.5:5432', 'ECONNREFUSED'),
    );
    expect(body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'the database is unavailable; try again shortly',
      code: 'UNAVAILABLE',
    });
    expect(retryAfterSec).toBe(1);
  });

  it('leaves other crashes a 500 and domain errors as they are', () => {
    expect(toErrorBody(new Error('boom')).body.statusCode).toBe(500);
    const conflict = new DomainError('conflict', 'ROOM_NAME_TAKEN', 'taken');
    expect(toErrorBody(conflict).body).toMatchObject({ statusCode: 409, code: 'ROOM_NAME_TAKEN' });
  });
});
