// What a context contributes to the AsyncAPI document (/asyncapi.json): the WebSocket events it
// owns, both ways, the event-bus records it publishes, and the shared schemas they use. Each
// context declares its own in a provider marked @ProtocolDocs(); the document is assembled from
// whatever providers the running application has, so a module that is off contributes nothing.
import { DiscoveryService } from '@nestjs/core';

/** A JSON Schema (draft 07, the AsyncAPI Schema subset this project uses). */
export type JsonSchema = { [keyword: string]: unknown };

/** `data` built from another contribution's schema (after every extension of it) plus fields. */
export interface DerivedSchema {
  derivedFrom: string;
  properties: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
}

/** One WebSocket event: `{"event": <event>, "data": <data>}`. */
export interface WsEventDoc {
  /** The `event` of the frame, as on the wire. */
  event: string;
  /** Stable PascalCase name of the message in the document (code generators name types by it). */
  name: string;
  summary: string;
  description?: string;
  /** The frame's `data`: a schema, a `$ref` to a shared schema, or a derived one. */
  data: JsonSchema | DerivedSchema;
  /** A room event (contract v2): also an entry of the room's log and of `room.event` records. */
  roomEvent?: boolean;
  /** The contract version that introduced it. */
  since: 'v1' | 'v2';
}

/** One kind of record on the event-bus topic: a ChatEvent with this `type`. */
export interface BusEventDoc {
  type: string;
  name: string;
  summary: string;
  /** The record's JSON value besides `type`. */
  properties: Record<string, JsonSchema>;
  /** The record key: which field of the value (a room id, or a user id for user events). */
  key: string;
}

/** The event-bus topic itself (owned by the event bus). */
export interface BusChannelDoc {
  address: string;
  description: string;
  headers: JsonSchema;
}

export interface ProtocolContribution {
  /** Shared schemas, by name (components.schemas). */
  schemas?: Record<string, JsonSchema>;
  /**
   * Properties another contribution's schema gains (or whose schema changes) while this
   * contribution is present: an optional module's fields on a core schema.
   */
  extend?: Record<string, { properties: Record<string, JsonSchema>; required?: string[] }>;
  /** Client to server. */
  clientEvents?: WsEventDoc[];
  /** Server to client. */
  serverEvents?: WsEventDoc[];
  busEvents?: BusEventDoc[];
  busChannel?: BusChannelDoc;
}

/** A provider that documents a context's part of the protocol. */
export interface ProtocolDocsProvider {
  protocolDocs(): ProtocolContribution;
}

/** Marks a ProtocolDocsProvider; the AsyncAPI document discovers every marked provider. */
export const ProtocolDocs = DiscoveryService.createDecorator<void>();

/** Small builders for the schemas contributions declare. */
export const Schema = {
  uuid: (description?: string): JsonSchema => ({
    type: 'string',
    format: 'uuid',
    ...(description ? { description } : {}),
  }),
  string: (description?: string, extra: JsonSchema = {}): JsonSchema => ({
    type: 'string',
    ...(description ? { description } : {}),
    ...extra,
  }),
  dateTime: (description?: string): JsonSchema => ({
    type: 'string',
    format: 'date-time',
    ...(description ? { description } : {}),
  }),
  integer: (description?: string, minimum = 0): JsonSchema => ({
    type: 'integer',
    minimum,
    ...(description ? { description } : {}),
  }),
  boolean: (description?: string): JsonSchema => ({
    type: 'boolean',
    ...(description ? { description } : {}),
  }),
  enum: (values: readonly string[], description?: string): JsonSchema => ({
    type: 'string',
    enum: [...values],
    ...(description ? { description } : {}),
  }),
  /** The schema or null. */
  nullable: (s: JsonSchema): JsonSchema => {
    if (typeof s.$ref === 'string') return { oneOf: [s, { type: 'null' }] };
    const types: unknown[] = Array.isArray(s.type) ? (s.type as unknown[]) : [s.type];
    return { ...s, type: [...types, 'null'] };
  },
  /** Always null here: a field an optional module fills, present on the wire when it is off. */
  alwaysNull: (description: string): JsonSchema => ({ type: 'null', description }),
  array: (items: JsonSchema, description?: string): JsonSchema => ({
    type: 'array',
    items,
    ...(description ? { description } : {}),
  }),
  ref: (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` }),
  /** An object; every property is required unless named in `optional`. */
  object: (
    properties: Record<string, JsonSchema>,
    optional: readonly string[] = [],
    description?: string,
  ): JsonSchema => ({
    type: 'object',
    ...(description ? { description } : {}),
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  }),
};
