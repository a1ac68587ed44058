import { Injectable } from '@nestjs/common';
import {
  ProtocolDocs,
  Schema as S,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';
import { CLIENT_MSG_ID_PATTERN, CONTENT_MAX } from './domain/message.js';

const roomId = S.uuid('the room');
const seq = S.integer("the message's place in its room", 1);
const eventSeq = S.integer("the room event's place in the room's log", 1);

const reaction = {
  roomId,
  messageId: S.uuid(),
  seq,
  emoji: S.string('one emoji, or a :short_name:'),
  userId: S.uuid('who reacted'),
  eventSeq,
};

/** The messages context's events and the Message schema (AsyncAPI). */
@Injectable()
@ProtocolDocs()
export class MessagesProtocolDocs implements ProtocolDocsProvider {
  protocolDocs(): ProtocolContribution {
    return {
      schemas: {
        Message: S.object(
          {
            id: S.uuid(),
            roomId,
            seq,
            userId: S.uuid('the author'),
            username: S.string(),
            content: S.string('"" on a tombstone', { maxLength: CONTENT_MAX }),
            type: S.enum(['text', 'system', 'bot']),
            clientMsgId: S.nullable(S.string()),
            createdAt: S.dateTime(),
            sentBy: S.alwaysNull('who sent it on the author’s behalf (proxy module); null'),
            deletedAt: S.nullable(S.dateTime('set on a tombstone')),
            deleted: S.boolean('a tombstone: content "", seq kept'),
            editedAt: S.nullable(S.dateTime()),
            threadRootId: S.nullable(S.uuid('the top-level message this one replies to')),
            thread: S.nullable(S.ref('ThreadSummary')),
            mentions: S.array(S.uuid(), 'ids of the members named as @username'),
            reactions: S.array(S.ref('ReactionSummary')),
            attachments: S.array(
              S.ref('Attachment'),
              'the files it carries, in the sender’s order',
            ),
          },
          [],
          'A message (contract: Message)',
        ),
        ThreadSummary: S.object(
          {
            replyCount: S.integer(undefined, 1),
            lastReplyAt: S.dateTime(),
            lastReplySeq: S.integer(undefined, 1),
          },
          [],
          'On a thread root with replies',
        ),
        ReactionSummary: S.object({
          emoji: S.string(),
          count: S.integer(undefined, 1),
          me: S.boolean('whether the reader reacted with it (false in live events)'),
        }),
      },
      clientEvents: [
        {
          event: 'message.send',
          name: 'MessageSend',
          summary: 'Send a message (members only)',
          description:
            'Answered by message.ack once stored (or an error with ref = clientMsgId); the message then reaches ' +
            'every subscriber, the sender too, as message.new. The same clientMsgId again stores nothing new.',
          data: S.object(
            {
              roomId,
              content: S.string('1 to 4,000 characters, not only white space', {
                minLength: 1,
                maxLength: CONTENT_MAX,
              }),
              clientMsgId: S.string('a client-chosen id, unique per sender', {
                pattern: CLIENT_MSG_ID_PATTERN.source,
              }),
              threadRootId: S.uuid('reply in the thread of this top-level message of the room'),
              attachmentIds: {
                ...S.array(
                  S.uuid(),
                  'up to 10 of the sender’s own finished uploads for this room (POST …/attachments)',
                ),
                maxItems: 10,
              },
            },
            ['threadRootId', 'attachmentIds'],
          ),
          since: 'v1',
        },
      ],
      serverEvents: [
        {
          event: 'message.ack',
          name: 'MessageAck',
          summary: 'A message.send was stored',
          data: S.object({
            clientMsgId: S.string(),
            id: S.uuid(),
            seq,
            createdAt: S.dateTime(),
          }),
          since: 'v1',
        },
        {
          event: 'message.new',
          name: 'MessageNew',
          summary: 'A new message (room event)',
          data: {
            derivedFrom: 'Message',
            description: 'The Message, with its room event’s eventSeq',
            properties: { eventSeq },
            required: ['eventSeq'],
          },
          roomEvent: true,
          since: 'v1',
        },
        {
          event: 'message.edited',
          name: 'MessageEdited',
          summary: 'A message was edited (room event)',
          data: S.object({
            roomId,
            id: S.uuid(),
            seq,
            content: S.string(undefined, { maxLength: CONTENT_MAX }),
            editedAt: S.dateTime(),
            mentions: S.array(S.uuid()),
            eventSeq,
          }),
          roomEvent: true,
          since: 'v2',
        },
        {
          event: 'message.deleted',
          name: 'MessageDeleted',
          summary: 'A message became a tombstone (room event)',
          data: S.object({ roomId, id: S.uuid(), seq, eventSeq }),
          roomEvent: true,
          since: 'v2',
        },
        {
          event: 'reaction.added',
          name: 'ReactionAdded',
          summary: 'Someone reacted to a message (room event)',
          data: S.object(reaction),
          roomEvent: true,
          since: 'v2',
        },
        {
          event: 'reaction.removed',
          name: 'ReactionRemoved',
          summary: 'Someone took a reaction back (room event)',
          data: S.object(reaction),
          roomEvent: true,
          since: 'v2',
        },
      ],
    };
  }
}
