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

/** The proxy module's fields on the messages context's schemas (AsyncAPI and OpenAPI). */
@Injectable()
@ProtocolDocs()
@OpenApiDocs()
export class ProxyProtocolDocs implements ProtocolDocsProvider, OpenApiDocsProvider {
  openApiDocs(): OpenApiContribution {
    return {
      errorCodes: ['PROXY_NOT_ALLOWED', 'PROXY_NOT_FOUND'],
      properties: {
        SendMessageDto: {
          onBehalfOf: {
            type: 'string',
            format: 'uuid',
            description: 'send as this user (with their grant)',
          },
        },
        MessageDto: {
          sentBy: {
            type: 'string',
            format: 'uuid',
            nullable: true,
            description: 'who sent it on behalf of `userId`; null when the author did',
          },
        },
      },
    };
  }

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
