import { Injectable } from '@nestjs/common';
import {
  ProtocolDocs,
  Schema as S,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';

const roomId = S.uuid('the room');
const eventSeq = S.integer("the room event's place in the room's log", 1);

/** The rooms context's events (membership, room changes, invites, direct rooms) (AsyncAPI). */
@Injectable()
@ProtocolDocs()
export class RoomsProtocolDocs implements ProtocolDocsProvider {
  protocolDocs(): ProtocolContribution {
    return {
      schemas: {
        Room: S.object(
          {
            id: S.uuid(),
            kind: S.enum(['room', 'direct'], "'direct': a direct conversation"),
            name: S.string(),
            description: S.string(),
            ownerId: S.uuid(),
            isPrivate: S.boolean(),
            orgId: S.alwaysNull('the owning organisation (organisations module); null'),
            memberCount: S.integer(),
            lastSeq: S.integer('seq of the newest message, 0 when empty'),
            lastEventSeq: S.integer('eventSeq of the newest room event, 0 when none'),
            retentionDays: S.nullable(
              S.integer('days its messages and room events are kept; null: the server default', 1),
            ),
            createdAt: S.dateTime(),
            updatedAt: S.dateTime(),
          },
          [],
          'A room (contract: Room)',
        ),
        Invite: S.object({
          id: S.uuid(),
          roomId,
          userId: S.uuid('the invitee'),
          invitedBy: S.uuid(),
          createdAt: S.dateTime(),
        }),
      },
      serverEvents: [
        {
          event: 'member.joined',
          name: 'MemberJoined',
          summary: 'Someone joined the room (room event)',
          data: S.object({ roomId, userId: S.uuid(), username: S.string(), eventSeq }),
          roomEvent: true,
          since: 'v1',
        },
        {
          event: 'member.left',
          name: 'MemberLeft',
          summary: 'Someone left or was removed from the room (room event)',
          data: S.object({
            roomId,
            userId: S.uuid(),
            username: S.string(),
            reason: S.enum(['left', 'kicked']),
            eventSeq,
          }),
          roomEvent: true,
          since: 'v1',
        },
        {
          event: 'room.updated',
          name: 'RoomUpdated',
          summary: 'The room’s name, description or privacy changed (room event)',
          data: {
            derivedFrom: 'Room',
            description: 'The Room, plus roomId and eventSeq like every room event',
            properties: { roomId, eventSeq },
            required: ['roomId', 'eventSeq'],
          },
          roomEvent: true,
          since: 'v2',
        },
        {
          event: 'room.deleted',
          name: 'RoomDeleted',
          summary: 'The room was deleted; room.unsubscribed follows',
          data: S.object({ roomId }),
          since: 'v1',
        },
        {
          event: 'invite.received',
          name: 'InviteReceived',
          summary: 'The user was invited to a room (to every socket of the invitee)',
          data: S.object({ invite: S.ref('Invite'), room: S.ref('Room') }),
          since: 'v2',
        },
        {
          event: 'dm.created',
          name: 'DmCreated',
          summary: 'A direct room the user is in was created (to every socket of each member)',
          data: S.object({ room: S.ref('Room') }),
          since: 'v2',
        },
      ],
      busEvents: [
        {
          type: 'room.deleted',
          name: 'RoomDeletedRecord',
          summary: 'A room was deleted',
          properties: { roomId },
          key: 'roomId',
        },
        {
          type: 'invite.received',
          name: 'InviteReceivedRecord',
          summary: 'A user was invited to a room',
          properties: {
            userId: S.uuid('the invitee'),
            invite: S.ref('Invite'),
            room: S.ref('Room'),
          },
          key: 'userId',
        },
        {
          type: 'dm.created',
          name: 'DmCreatedRecord',
          summary: 'A direct room was created',
          properties: {
            roomId,
            memberIds: { ...S.array(S.uuid()), minItems: 2 },
            room: S.ref('Room'),
          },
          key: 'roomId',
        },
      ],
    };
  }
}
