import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import type { Message } from './message.js';
import {
  assertCanDelete,
  assertCanEdit,
  assertCanReact,
  assertThreadRoot,
  checkReactionLimit,
} from './message-rules.js';

const codeOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof DomainError ? `${e.kind}:${e.code}` : 'other';
  }
};

const msg = (over: Partial<Message> = {}): Message => ({
  id: 'm1',
  roomId: 'r1',
  seq: 1,
  userId: 'author',
  username: 'author',
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
  attachments: [],
  ...over,
});
const noRights = { isRoomOwner: false, mayDeleteAny: false };

describe('who may edit', () => {
  it('the author, a text message that still exists', () => {
    expect(codeOf(() => assertCanEdit(msg(), 'author'))).toBeNull();
    expect(codeOf(() => assertCanEdit(msg(), 'other'))).toBe('forbidden:NOT_MESSAGE_AUTHOR');
    expect(codeOf(() => assertCanEdit(msg({ deleted: true }), 'author'))).toBe(
      'conflict:MESSAGE_DELETED',
    );
    expect(codeOf(() => assertCanEdit(msg({ type: 'bot' }), 'author'))).toBe(
      'forbidden:MESSAGE_NOT_EDITABLE',
    );
    expect(codeOf(() => assertCanEdit(msg({ type: 'system' }), 'author'))).toBe(
      'forbidden:MESSAGE_NOT_EDITABLE',
    );
  });
});

describe('who may delete', () => {
  it('the author their text; the owner any user or bot message; message.delete.any anything', () => {
    expect(codeOf(() => assertCanDelete(msg(), 'author', noRights))).toBeNull();
    expect(codeOf(() => assertCanDelete(msg(), 'other', noRights))).toBe(
      'forbidden:NOT_MESSAGE_AUTHOR',
    );
    const owner = { isRoomOwner: true, mayDeleteAny: false };
    expect(codeOf(() => assertCanDelete(msg(), 'owner', owner))).toBeNull();
    expect(codeOf(() => assertCanDelete(msg({ type: 'bot' }), 'owner', owner))).toBeNull();
    expect(codeOf(() => assertCanDelete(msg({ type: 'system' }), 'owner', owner))).toBe(
      'forbidden:MESSAGE_NOT_EDITABLE',
    );
    expect(codeOf(() => assertCanDelete(msg({ type: 'bot' }), 'author', noRights))).toBe(
      'forbidden:MESSAGE_NOT_EDITABLE',
    );
    const admin = { isRoomOwner: false, mayDeleteAny: true };
    expect(codeOf(() => assertCanDelete(msg({ type: 'system' }), 'admin', admin))).toBeNull();
  });
});

describe('reactions', () => {
  it('not on a tombstone; at most 20 distinct, an existing one always takes another user', () => {
    expect(codeOf(() => assertCanReact(msg()))).toBeNull();
    expect(codeOf(() => assertCanReact(msg({ deleted: true })))).toBe('conflict:MESSAGE_DELETED');
    expect(codeOf(() => checkReactionLimit(19, false))).toBeNull();
    expect(codeOf(() => checkReactionLimit(20, false))).toBe('conflict:REACTION_LIMIT');
    expect(codeOf(() => checkReactionLimit(20, true))).toBeNull();
  });
});

describe('threads', () => {
  it('attach to a top-level message of the room only', () => {
    expect(codeOf(() => assertThreadRoot(msg()))).toBeNull();
    expect(codeOf(() => assertThreadRoot(null))).toBe('validation:THREAD_ROOT_INVALID');
    expect(codeOf(() => assertThreadRoot(msg({ threadRootId: 'root' })))).toBe(
      'validation:THREAD_ROOT_INVALID',
    );
  });
});
