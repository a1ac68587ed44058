import { Inject, Injectable } from '@nestjs/common';
import {
  ProtocolDocs,
  Schema as S,
  type ProtocolContribution,
  type ProtocolDocsProvider,
} from '../../common/asyncapi/protocol-docs.js';
import { busConfig, type BusConfig } from '../../config/configuration.js';
import { RECORD_SCHEMA_VERSION, RecordHeader } from './kafka/records.js';

/** The event-bus topic and the headers of its records; the records come from each context. */
@Injectable()
@ProtocolDocs()
export class EventBusProtocolDocs implements ProtocolDocsProvider {
  constructor(@Inject(busConfig.KEY) private readonly cfg: BusConfig) {}

  protocolDocs(): ProtocolContribution {
    return {
      busChannel: {
        address: this.cfg.kafkaTopic,
        description:
          'KAFKA_TOPIC. Every change any instance makes, as one JSON record (a ChatEvent, by its type). ' +
          "The key is the room id (a user's events: the user id), so a room's records keep their order. " +
          'A record that does not match its schema is skipped by consumers.',
        headers: S.object({
          [RecordHeader.eventId]: S.uuid(
            'the event id: the same when the outbox publishes a record again (deduplicate by it)',
          ),
          [RecordHeader.eventType]: S.string("the value's type"),
          [RecordHeader.schemaVersion]: S.string('version of the JSON value', {
            enum: [RECORD_SCHEMA_VERSION],
          }),
          [RecordHeader.sourceInstance]: S.string('INSTANCE_ID of the publishing instance'),
        }),
      },
    };
  }
}
