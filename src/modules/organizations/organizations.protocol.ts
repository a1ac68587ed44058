import { Injectable } from '@nestjs/common';
import {
  ProtocolDocs,
  Schema as S,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';

/** The organisations module's field on the Room schema (AsyncAPI). */
@Injectable()
@ProtocolDocs()
export class OrganizationsProtocolDocs implements ProtocolDocsProvider {
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
