import { Injectable } from '@nestjs/common';
import {
  ProtocolDocs,
  Schema as S,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';

const marker = {
  roomId: S.uuid('the room'),
  lastReadSeq: S.integer('the caller’s read marker: seq of the last message read'),
  unreadCount: S.integer('lastSeq - lastReadSeq'),
  mentionCount: S.integer('messages after lastReadSeq that mention the user'),
};

/** Read markers over the WebSocket (AsyncAPI). */
@Injectable()
@ProtocolDocs()
export class ReadStateProtocolDocs implements ProtocolDocsProvider {
  protocolDocs(): ProtocolContribution {
    return {
      clientEvents: [
        {
          event: 'room.read',
          name: 'RoomRead',
          summary: 'Move the caller’s read marker forward (never back)',
          description:
            'lastReadSeq becomes max(lastReadSeq, min(seq, lastSeq)); when it moved, read.updated reaches every socket of the user.',
          data: S.object({ roomId: S.uuid('the room'), seq: S.integer() }),
          since: 'v2',
        },
      ],
      serverEvents: [
        {
          event: 'read.updated',
          name: 'ReadUpdated',
          summary: 'The user’s read marker in a room moved (to every socket of that user)',
          data: S.object(marker),
          since: 'v2',
        },
      ],
      busEvents: [
        {
          type: 'read.updated',
          name: 'ReadUpdatedRecord',
          summary: 'A user’s read marker moved',
          properties: { ...marker, userId: S.uuid('whose marker') },
          key: 'roomId',
        },
      ],
    };
  }
}
