import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import {
  assertParty,
  checkGrantRooms,
  checkParties,
  grantWindow,
  parseInstant,
  type ProxyGrant,
  type RoomAccess,
} from './proxy-grant.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';
const R1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const R2 = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

function refusal(fn: () => unknown): { kind: string; code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return { kind: err.kind, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('parseInstant', () => {
  it('accepts ISO-8601 instants with Z or an offset', () => {
    expect(parseInstant('f', '2030-01-31T09:00:00Z').toISOString()).toBe(
      '2030-01-31T09:00:00.000Z',
    );
    expect(parseInstant('f', '2030-01-31T09:00:00.123456+02:00').toISOString()).toBe(
      '2030-01-31T07:00:00.123Z',
    );
    expect(parseInstant('f', '2030-01-31T09:00-05:30').toISOString()).toBe(
      '2030-01-31T14:30:00.000Z',
    );
  });

  it.each([
    '2030-01-31T09:00:00', // no time zone
    '2030-01-31',
    '2030-02-30T00:00:00Z', // no such day
    '2030-13-01T00:00:00Z',
    '2030-01-31T24:00:00Z',
    'tomorrow',
    '',
  ])('refuses %j, naming the field', (v) => {
    const r = refusal(() => parseInstant('startsAt', v));
    expect(r).toMatchObject({ kind: 'validation', code: 'VALIDATION_FAILED' });
    expect(r.message).toMatch(/^startsAt /);
  });
});

describe('grantWindow', () => {
  const now = new Date('2030-01-01T00:00:00Z');

  it('defaults to from now (the database clock: null) until revoked', () => {
    expect(grantWindow({}, now)).toEqual({ startsAt: null, endsAt: null });
    expect(grantWindow({ endsAt: null }, now)).toEqual({ startsAt: null, endsAt: null });
  });

  it('takes a start in the past or future and an end after it', () => {
    expect(
      grantWindow({ startsAt: '2029-12-01T00:00:00Z', endsAt: '2030-01-02T00:00:00Z' }, now),
    ).toEqual({
      startsAt: new Date('2029-12-01T00:00:00Z'),
      endsAt: new Date('2030-01-02T00:00:00Z'),
    });
  });

  it('refuses an end not after the start', () => {
    const r = refusal(() =>
      grantWindow({ startsAt: '2030-02-01T00:00:00Z', endsAt: '2030-02-01T00:00:00Z' }, now),
    );
    expect(r).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'endsAt must be after startsAt',
    });
  });

  it('refuses an end already past (a grant born expired)', () => {
    expect(refusal(() => grantWindow({ endsAt: '2029-12-31T23:59:59Z' }, now))).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'endsAt must be in the future',
    });
    expect(refusal(() => grantWindow({ endsAt: '2030-01-01T00:00:00Z' }, now)).code).toBe(
      'VALIDATION_FAILED',
    );
  });
});

describe('checkParties', () => {
  it('refuses a grant to oneself', () => {
    expect(refusal(() => checkParties(A, A))).toMatchObject({
      kind: 'validation',
      code: 'VALIDATION_FAILED',
    });
    expect(() => checkParties(A, B)).not.toThrow();
  });
});

describe('checkGrantRooms', () => {
  const room = (roomId: string, over: Partial<RoomAccess> = {}): RoomAccess => ({
    roomId,
    exists: true,
    isPrivate: false,
    orgId: null,
    member: true,
    ...over,
  });

  it('accepts rooms the grantor is a member of', () => {
    expect(() =>
      checkGrantRooms([R1, R2], [room(R1), room(R2, { isPrivate: true })]),
    ).not.toThrow();
  });

  it('404s, naming it, a room that does not exist or that the grantor cannot see', () => {
    for (const access of [
      room(R2, { exists: false }),
      room(R2, { isPrivate: true, member: false }),
      room(R2, { orgId: C, member: false }),
    ]) {
      const r = refusal(() => checkGrantRooms([R1, R2], [room(R1), access]));
      expect(r).toMatchObject({ kind: 'not_found', code: 'ROOM_NOT_FOUND' });
      expect(r.message).toContain(R2);
    }
  });

  it('400s, naming it, a public room the grantor is not in', () => {
    const r = refusal(() => checkGrantRooms([R1], [room(R1, { member: false })]));
    expect(r).toMatchObject({ kind: 'validation', code: 'VALIDATION_FAILED' });
    expect(r.message).toContain(R1);
  });

  it('refuses an empty list, more than 100 rooms, and repeats', () => {
    expect(refusal(() => checkGrantRooms([], [])).code).toBe('VALIDATION_FAILED');
    const many = Array.from({ length: 101 }, (_, i) => `${i}`);
    expect(
      refusal(() =>
        checkGrantRooms(
          many,
          many.map((id) => room(id)),
        ),
      ).code,
    ).toBe('VALIDATION_FAILED');
    expect(refusal(() => checkGrantRooms([R1, R1], [room(R1), room(R1)])).message).toMatch(
      /repeat/,
    );
  });
});

describe('assertParty', () => {
  const grant: ProxyGrant = {
    id: C,
    grantorId: A,
    grantorUsername: 'a',
    proxyUserId: B,
    proxyUsername: 'b',
    roomIds: null,
    startsAt: new Date(),
    endsAt: null,
    createdAt: new Date(),
    revokedAt: null,
    active: true,
  };

  it('lets the grantor and the proxy see the grant, and nobody else', () => {
    expect(() => assertParty(grant, A)).not.toThrow();
    expect(() => assertParty(grant, B)).not.toThrow();
    expect(refusal(() => assertParty(grant, C))).toMatchObject({
      kind: 'not_found',
      code: 'PROXY_NOT_FOUND',
    });
    expect(refusal(() => assertParty(null, A)).code).toBe('PROXY_NOT_FOUND');
  });
});
