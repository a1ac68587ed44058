import { Injectable } from '@nestjs/common';
import {
  ProtocolDocs,
  Schema as S,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';
import {
  OpenApiDocs,
  type OpenApiContribution,
  type OpenApiDocsProvider,
} from '../../common/http/openapi-docs.js';
import { REASON_MAX } from './domain/sanction.js';

/** The advanced admin module's WebSocket events (AsyncAPI) and error codes (OpenAPI). */
@Injectable()
@ProtocolDocs()
@OpenApiDocs()
export class AdminProtocolDocs implements ProtocolDocsProvider, OpenApiDocsProvider {
  openApiDocs(): OpenApiContribution {
    // MUTED answers a muted member's send on the core's routes.
    return {
      errorCodes: [
        'MUTED',
        'ADMIN_SELF_ACTION',
        'USER_NOT_SANCTIONED',
        'ROOM_OWNER_PROTECTED',
        'MUTE_NOT_FOUND',
        'MEMBER_NOT_FOUND',
      ],
    };
  }

  protocolDocs(): ProtocolContribution {
    return {
      clientEvents: [
        {
          event: 'message.delete',
          name: 'MessageDelete',
          summary:
            'Delete any message of a room (message.delete.any permission; advanced admin module)',
          description:
            'Answered by message.delete.ack; the room’s subscribers get message.deleted as for a REST delete.',
          data: S.object(
            {
              roomId: S.uuid(),
              messageId: S.uuid(),
              reason: S.string('kept in the audit log', { maxLength: REASON_MAX }),
            },
            ['reason'],
          ),
          since: 'v1',
        },
      ],
      serverEvents: [
        {
          event: 'message.delete.ack',
          name: 'MessageDeleteAck',
          summary: 'A message.delete was done: the tombstone’s place',
          data: S.object({
            roomId: S.uuid(),
            id: S.uuid(),
            seq: S.integer(undefined, 1),
            deletedAt: S.dateTime(),
          }),
          since: 'v1',
        },
      ],
    };
  }
}
