import { describe, expect, it } from '@jest/globals';
import { eventKey, parseChatEvent } from './chat-events.js';

const R = '00000000-0000-4000-8000-000000000001';
const U = '00000000-0000-4000-8000-000000000002';
const message = {
  id: '00000000-0000-4000-8000-000000000003',
  roomId: R,
  seq: 1,
  userId: U,
  username: 'a',
  content: 'hi',
  type: 'text',
  clientMsgId: null,
  createdAt: new Date(0).toISOString(),
  sentBy: null,
  deletedAt: null,
};

describe('ChatEvent validation', () => {
  it('accepts well-formed events and keys them by room or user', () => {
    const e = parseChatEvent({ type: 'message.sent', roomId: R, message });
    expect(e).not.toBeNull();
    expect(eventKey(e!)).toBe(R);
    const s = parseChatEvent({
      type: 'session.revoked',
      userId: U,
      sessionId: null,
      reason: 'ban',
    });
    expect(eventKey(s!)).toBe(U);
  });

  it('rejects malformed events', () => {
    expect(parseChatEvent(null)).toBeNull();
    expect(parseChatEvent('x')).toBeNull();
    expect(parseChatEvent({ type: 'nope', roomId: R })).toBeNull();
    expect(parseChatEvent({ type: 'message.sent', roomId: 'not-a-uuid', message })).toBeNull();
    expect(
      parseChatEvent({ type: 'message.sent', roomId: R, message: { ...message, seq: 0 } }),
    ).toBeNull();
    expect(
      parseChatEvent({ type: 'message.sent', roomId: R, message: { ...message, roomId: U } }),
    ).toBeNull();
    expect(
      parseChatEvent({ type: 'member.left', roomId: R, userId: U, username: 'a', reason: 'x' }),
    ).toBeNull();
  });
});

describe('invite.received', () => {
  const room = {
    id: R,
    kind: 'room',
    name: 'n',
    description: '',
    ownerId: U,
    isPrivate: true,
    orgId: null,
    memberCount: 1,
    lastSeq: 0,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
  };
  const I = '00000000-0000-4000-8000-000000000009';
  const invite = { id: I, roomId: R, userId: I, invitedBy: U, createdAt: room.createdAt };

  it('is keyed by the invitee and checked', () => {
    const e = parseChatEvent({ type: 'invite.received', userId: I, invite, room });
    expect(e).not.toBeNull();
    expect(eventKey(e!)).toBe(I);
    // The invite is for another user, or for another room, or the room is malformed.
    expect(parseChatEvent({ type: 'invite.received', userId: U, invite, room })).toBeNull();
    expect(
      parseChatEvent({ type: 'invite.received', userId: I, invite, room: { ...room, id: U } }),
    ).toBeNull();
    expect(
      parseChatEvent({ type: 'invite.received', userId: I, invite, room: { ...room, kind: 'x' } }),
    ).toBeNull();
  });
});
