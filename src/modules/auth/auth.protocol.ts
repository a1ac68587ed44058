import { Injectable } from '@nestjs/common';
import {
  ProtocolDocs,
  Schema as S,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';

/** Session ends cross instances as records: every instance closes that session's sockets. */
@Injectable()
@ProtocolDocs()
export class AuthProtocolDocs implements ProtocolDocsProvider {
  protocolDocs(): ProtocolContribution {
    return {
      busEvents: [
        {
          type: 'session.revoked',
          name: 'SessionRevokedRecord',
          summary: 'A session ended (logout, token reuse, account disabled or banned)',
          properties: {
            userId: S.uuid(),
            sessionId: S.nullable(S.uuid('null: every session of the user')),
            reason: S.string(),
          },
          key: 'userId',
        },
      ],
    };
  }
}
