import { Injectable } from '@nestjs/common';
import {
  ProtocolDocs,
  Schema as S,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';

const roomId = S.uuid('the room');

/** The transport's own events: subscriptions, typing, ping, errors (AsyncAPI). */
@Injectable()
@ProtocolDocs()
export class RealtimeProtocolDocs implements ProtocolDocsProvider {
  protocolDocs(): ProtocolContribution {
    return {
      clientEvents: [
        {
          event: 'room.subscribe',
          name: 'RoomSubscribe',
          summary: 'Receive a room’s events: the missed ones first, then live ones (members only)',
          description:
            'Answered by room.subscribed, then every room event after afterEventSeq (v2), or every message after afterSeq ' +
            '(v1) as message.new, in order and exactly once, then live ones. Give at most one cursor; neither: live only. ' +
            'A cursor the log no longer covers: error RESYNC_REQUIRED with ref = roomId.',
          data: S.object(
            {
              roomId,
              afterSeq: S.integer('v1: replay the messages after this seq'),
              afterEventSeq: S.integer('v2: replay the room events after this eventSeq'),
            },
            ['afterSeq', 'afterEventSeq'],
          ),
          since: 'v1',
        },
        {
          event: 'room.unsubscribe',
          name: 'RoomUnsubscribe',
          summary: 'Stop receiving a room’s events',
          data: S.object({ roomId }),
          since: 'v1',
        },
        {
          event: 'typing',
          name: 'TypingSend',
          summary: 'Tell the room’s other subscribers the caller is typing (subscribe first)',
          data: S.object({ roomId }),
          since: 'v1',
        },
        {
          event: 'ping',
          name: 'Ping',
          summary: 'Ask for a pong (an application-level round trip)',
          data: { type: 'object', properties: {} },
          since: 'v1',
        },
      ],
      serverEvents: [
        {
          event: 'room.subscribed',
          name: 'RoomSubscribed',
          summary: 'The subscription is on; the replay (if any) follows',
          data: S.object({
            roomId,
            lastSeq: S.integer('seq of the newest message'),
            lastEventSeq: S.integer('eventSeq of the newest room event'),
          }),
          since: 'v1',
        },
        {
          event: 'room.unsubscribed',
          name: 'RoomUnsubscribed',
          summary:
            'The subscription ended: asked for, or the caller left, was kicked, or the room was deleted',
          data: S.object({ roomId, reason: S.enum(['requested', 'left', 'kicked', 'deleted']) }, [
            'reason',
          ]),
          since: 'v1',
        },
        {
          event: 'typing',
          name: 'Typing',
          summary: 'Another subscriber is typing',
          data: S.object({ roomId, userId: S.uuid(), username: S.string() }),
          since: 'v1',
        },
        {
          event: 'pong',
          name: 'Pong',
          summary: 'The answer to ping',
          data: S.object({ serverTime: S.dateTime() }),
          since: 'v1',
        },
        {
          event: 'error',
          name: 'Error',
          summary: 'A frame was refused; the connection stays open',
          description:
            'Bad frames (not JSON, unknown event, missing or mistyped fields) and refused requests. ' +
            'code is stable and machine-readable (the same codes as the REST errors: VALIDATION_FAILED, BAD_FRAME, ' +
            'UNKNOWN_EVENT, RATE_LIMITED, NOT_SUBSCRIBED, NOT_ROOM_MEMBER, ROOM_NOT_FOUND, RESYNC_REQUIRED, ...); ' +
            'ref echoes the clientMsgId of a message.send, the roomId of a RESYNC_REQUIRED, or else the event answered.',
          data: S.object(
            {
              code: S.string('stable machine-readable code', { pattern: '^[A-Z][A-Z0-9_]*$' }),
              message: S.string('for people'),
              ref: S.string('the clientMsgId, roomId or event this answers'),
            },
            ['ref'],
          ),
          since: 'v1',
        },
      ],
      busEvents: [
        {
          type: 'typing',
          name: 'TypingRecord',
          summary: 'Someone is typing in a room (not stored)',
          properties: { roomId, userId: S.uuid(), username: S.string() },
          key: 'roomId',
        },
      ],
    };
  }
}
