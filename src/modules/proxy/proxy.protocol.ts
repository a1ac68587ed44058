import { Injectable } from '@nestjs/common';
import {
  ProtocolDocs,
  Schema as S,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';

/** The proxy module's fields on the messages context's schemas (AsyncAPI). */
@Injectable()
@ProtocolDocs()
export class ProxyProtocolDocs implements ProtocolDocsProvider {
  protocolDocs(): ProtocolContribution {
    return {
      extend: {
        MessageSendData: {
          properties: {
            onBehalfOf: S.uuid('send as this user, who granted the caller a proxy (proxy module)'),
          },
        },
        Message: {
          properties: {
            sentBy: S.nullable(
              S.uuid('who sent it on the author’s behalf; null when the author did'),
            ),
          },
        },
      },
    };
  }
}
