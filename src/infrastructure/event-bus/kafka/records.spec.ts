import { describe, expect, it } from '@jest/globals';
import type { ChatEvent } from '../../../common/events/chat-events.js';
import { RecordHeader, recordHeaders, recordHint } from './records.js';

const ROOM = '00000000-0000-4000-8000-0000000000aa';
const USER = '00000000-0000-4000-8000-0000000000bb';
const asRead = (h: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Buffer.from(String(v))]));

describe('record headers and hints', () => {
  it("a room event's record names its kind; a hint read back from key and headers says the same", () => {
    const event = {
      type: 'room.event',
      roomId: ROOM,
      event: { eventSeq: 3, event: 'member.left', data: {}, createdAt: '' },
    } as unknown as ChatEvent;
    const headers = recordHeaders(event, 'id', 'i1');
    expect(headers[RecordHeader.roomEvent]).toBe('member.left');
    expect(recordHint(Buffer.from(ROOM), asRead(headers))).toEqual({
      type: 'room.event',
      key: ROOM,
      roomEvent: 'member.left',
    });
  });

  it('other events carry no kind; their hint has type and key only', () => {
    const event: ChatEvent = {
      type: 'session.revoked',
      userId: USER,
      sessionId: null,
      reason: 'x',
    };
    const headers = recordHeaders(event, 'id', 'i1');
    expect(headers[RecordHeader.roomEvent]).toBeUndefined();
    expect(recordHint(USER, asRead(headers))).toEqual({ type: 'session.revoked', key: USER });
  });

  it('no hint (the record is decoded) without a key, a type header, or with an unknown type', () => {
    const headers = asRead({ [RecordHeader.eventType]: 'room.event' });
    expect(recordHint(null, headers)).toBeNull();
    expect(recordHint(Buffer.from(ROOM), undefined)).toBeNull();
    expect(recordHint(Buffer.from(ROOM), {})).toBeNull();
    expect(
      recordHint(Buffer.from(ROOM), asRead({ [RecordHeader.eventType]: 'room.renamed' })),
    ).toBeNull();
  });
});
