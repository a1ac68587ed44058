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
  deleted: false,
  editedAt: null,
  threadRootId: null,
  thread: null,
  mentions: [],
  reactions: [],
};
const at = new Date(0).toISOString();
const newMessage = (data: Record<string, unknown>, eventSeq = 1) => ({
  type: 'room.event',
  roomId: R,
  event: { eventSeq, event: 'message.new', data: { ...data, eventSeq }, createdAt: at },
});

describe('ChatEvent validation', () => {
  it('accepts well-formed events and keys them by room or user', () => {
    const e = parseChatEvent(newMessage(message));
    expect(e).not.toBeNull();
    expect(eventKey(e!)).toBe(R);
    const s = parseChatEvent({
      type: 'session.revoked',
      userId: U,
      sessionId: null,
      reason: 'ban',
    });
    expect(eventKey(s!)).toBe(U);
    const left = {
      type: 'room.event',
      roomId: R,
      event: {
        eventSeq: 4,
        event: 'member.left',
        data: { roomId: R, userId: U, username: 'a', reason: 'kicked', eventSeq: 4 },
        createdAt: at,
      },
    };
    expect(parseChatEvent(left)).not.toBeNull();
  });

  it('rejects malformed events', () => {
    expect(parseChatEvent(null)).toBeNull();
    expect(parseChatEvent('x')).toBeNull();
    expect(parseChatEvent({ type: 'nope', roomId: R })).toBeNull();
    expect(parseChatEvent({ ...newMessage(message), roomId: 'not-a-uuid' })).toBeNull();
    expect(parseChatEvent(newMessage({ ...message, seq: 0 }))).toBeNull();
    expect(parseChatEvent(newMessage({ ...message, roomId: U }))).toBeNull();
    expect(parseChatEvent(newMessage(message, 0))).toBeNull();
    // data's eventSeq must be the envelope's
    const e = newMessage(message, 2);
    expect(parseChatEvent({ ...e, event: { ...e.event, eventSeq: 3 } })).toBeNull();
    expect(
      parseChatEvent({
        type: 'room.event',
        roomId: R,
        event: {
          eventSeq: 1,
          event: 'member.left',
          data: { roomId: R, userId: U, username: 'a', reason: 'x', eventSeq: 1 },
          createdAt: at,
        },
      }),
    ).toBeNull();
    expect(
      parseChatEvent({
        type: 'room.event',
        roomId: R,
        event: { eventSeq: 1, event: 'made.up', data: { roomId: R, eventSeq: 1 }, createdAt: at },
      }),
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

describe('dm.created', () => {
  const V = '00000000-0000-4000-8000-00000000000a';
  const room = {
    id: R,
    kind: 'direct',
    name: 'a, b',
    description: '',
    ownerId: U,
    isPrivate: true,
    orgId: null,
    memberCount: 2,
    lastSeq: 0,
    lastEventSeq: 0,
    retentionDays: null,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
  };

  it('is keyed by the room and checked: a direct room, its id, two or more member ids', () => {
    const e = parseChatEvent({ type: 'dm.created', roomId: R, memberIds: [U, V], room });
    expect(e).not.toBeNull();
    expect(eventKey(e!)).toBe(R);
    for (const bad of [
      { roomId: R, memberIds: [U], room },
      { roomId: R, memberIds: [U, 'x'], room },
      { roomId: R, memberIds: 'x', room },
      { roomId: R, memberIds: [U, V], room: { ...room, kind: 'room' } },
      { roomId: R, memberIds: [U, V], room: { ...room, id: U } },
    ])
      expect(parseChatEvent({ type: 'dm.created', ...bad })).toBeNull();
  });
});
