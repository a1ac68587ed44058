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
import { OrgErrorCodes } from './domain/organization-errors.js';

const orgId = {
  type: 'string',
  format: 'uuid',
  nullable: true,
  description: 'the organisation owning the room; null otherwise',
};

/** The organisations module's field on the rooms context's schemas (AsyncAPI and OpenAPI). */
@Injectable()
@ProtocolDocs()
@OpenApiDocs()
export class OrganizationsProtocolDocs implements ProtocolDocsProvider, OpenApiDocsProvider {
  openApiDocs(): OpenApiContribution {
    return {
      errorCodes: Object.values(OrgErrorCodes),
      properties: {
        RoomDto: { orgId },
        RoomListItemDto: { orgId },
        CreateRoomDto: {
          orgId: {
            type: 'string',
            format: 'uuid',
            description: "an organisation's room: only its members may see, join, read or send",
          },
        },
      },
    };
  }

  protocolDocs(): ProtocolContribution {
    return {
      extend: {
        Room: {
          properties: { orgId: S.nullable(S.uuid('the organisation owning the room, else null')) },
        },
      },
    };
  }
}
