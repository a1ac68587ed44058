import { Injectable } from '@nestjs/common';
import {
  ProtocolDocs,
  Schema as S,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';

/** The attachments context's schema: a file a message carries (AsyncAPI). */
@Injectable()
@ProtocolDocs()
export class AttachmentsProtocolDocs implements ProtocolDocsProvider {
  protocolDocs(): ProtocolContribution {
    return {
      schemas: {
        Attachment: S.object(
          {
            id: S.uuid(),
            filename: S.string(),
            contentType: S.string(),
            size: S.integer('bytes, as measured by the store', 1),
            url: S.string(
              'signed download URL, no token needed; set wherever the message is served (absent in ' +
                'Kafka records, which hold none)',
            ),
          },
          ['url'],
          'A file a message carries (contract: Attachments)',
        ),
      },
    };
  }
}
