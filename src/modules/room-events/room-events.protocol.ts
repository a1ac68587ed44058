import { Injectable } from '@nestjs/common';
import {
  ProtocolDocs,
  Schema as S,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';

/** The room event log's record on the bus; the kinds come from the contexts that own them. */
@Injectable()
@ProtocolDocs()
export class RoomEventsProtocolDocs implements ProtocolDocsProvider {
  protocolDocs(): ProtocolContribution {
    return {
      busEvents: [
        {
          type: 'room.event',
          name: 'RoomEventRecord',
          summary: 'An entry of a room’s log, exactly as the log holds it',
          properties: { roomId: S.uuid('the room'), event: S.ref('RoomEvent') },
          key: 'roomId',
        },
      ],
    };
  }
}
