import { Injectable } from '@nestjs/common';
import {
  ProtocolDocs,
  Schema as S,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';

const presence = {
  roomId: S.uuid('a room the user is in'),
  userId: S.uuid(),
  online: S.boolean('the user’s first socket opened (true) or last one closed (false)'),
};

/** Presence, announced by the online statistics module (AsyncAPI). */
@Injectable()
@ProtocolDocs()
export class OnlineStatsProtocolDocs implements ProtocolDocsProvider {
  protocolDocs(): ProtocolContribution {
    return {
      serverEvents: [
        {
          event: 'presence',
          name: 'Presence',
          summary: 'A room member came online or went offline (online statistics module)',
          data: S.object(presence),
          since: 'v1',
        },
      ],
      busEvents: [
        {
          type: 'presence',
          name: 'PresenceRecord',
          summary: 'A user came online or went offline, for one of their rooms',
          properties: presence,
          key: 'roomId',
        },
      ],
    };
  }
}
