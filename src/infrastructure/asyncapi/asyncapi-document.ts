// Assembles the AsyncAPI 3.0 document from the contexts' contributions. It knows the document's
// structure (channels, operations, messages) but no event: those come from the contributions.
import type {
  BusEventDoc,
  DerivedSchema,
  JsonSchema,
  ProtocolContribution,
  WsEventDoc,
} from '../../common/asyncapi/protocol-docs.js';

export interface AsyncApiInfo {
  version: string;
  /** host:port clients connect to (the document's `ws` server). */
  host: string;
}

type Doc = Record<string, unknown>;

const isDerived = (d: JsonSchema | DerivedSchema): d is DerivedSchema =>
  typeof (d as DerivedSchema).derivedFrom === 'string';

function mergeInto(
  target: JsonSchema,
  ext: { properties: Record<string, JsonSchema>; required?: string[] },
): JsonSchema {
  const props = { ...((target.properties as Record<string, JsonSchema> | undefined) ?? {}) };
  Object.assign(props, ext.properties);
  const required = [...((target.required as string[] | undefined) ?? [])];
  for (const r of ext.required ?? []) if (!required.includes(r)) required.push(r);
  return { ...target, required, properties: props };
}

function frameSchema(e: WsEventDoc, dataRef: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['event', 'data'],
    properties: { event: { type: 'string', const: e.event, enum: [e.event] }, data: dataRef },
  };
}

export function buildAsyncApiDocument(
  contributions: ProtocolContribution[],
  info: AsyncApiInfo,
): Doc {
  // 1. Shared schemas, then the optional modules' fields on them.
  const schemas: Record<string, JsonSchema> = {};
  for (const c of contributions)
    for (const [name, s] of Object.entries(c.schemas ?? {})) {
      if (schemas[name]) throw new Error(`AsyncAPI: schema ${name} contributed twice`);
      schemas[name] = s;
    }
  // The events' own data schemas are named too, so that a module can extend them.
  for (const c of contributions)
    for (const e of [...(c.clientEvents ?? []), ...(c.serverEvents ?? [])])
      if (!isDerived(e.data) && typeof e.data.$ref !== 'string') {
        if (schemas[`${e.name}Data`]) throw new Error(`AsyncAPI: schema ${e.name}Data twice`);
        schemas[`${e.name}Data`] = e.data;
      }
  for (const c of contributions)
    for (const [name, ext] of Object.entries(c.extend ?? {})) {
      if (!schemas[name]) throw new Error(`AsyncAPI: extension of unknown schema ${name}`);
      schemas[name] = mergeInto(schemas[name], ext);
    }

  const messages: Record<string, Doc> = {};
  const wsMessages: Record<string, Doc> = {};
  const operations: Record<string, Doc> = {};
  const addMessage = (name: string, m: Doc) => {
    if (messages[name]) throw new Error(`AsyncAPI: message ${name} contributed twice`);
    messages[name] = m;
  };

  // 2. The WebSocket events: each `data` a named schema, each frame a message, each message
  // one operation (the server receives client events and sends server events).
  const roomEvents: { e: WsEventDoc; dataRef: JsonSchema }[] = [];
  const ws = (events: WsEventDoc[], action: 'receive' | 'send') => {
    for (const e of events) {
      let dataRef: JsonSchema;
      if (isDerived(e.data)) {
        const base = schemas[e.data.derivedFrom];
        if (!base)
          throw new Error(`AsyncAPI: ${e.event} derives from unknown ${e.data.derivedFrom}`);
        const derived = mergeInto(
          { ...base, ...(e.data.description ? { description: e.data.description } : {}) },
          e.data,
        );
        schemas[`${e.name}Data`] = derived;
        dataRef = { $ref: `#/components/schemas/${e.name}Data` };
      } else if (typeof e.data.$ref === 'string') {
        dataRef = e.data;
      } else {
        dataRef = { $ref: `#/components/schemas/${e.name}Data` };
      }
      if (e.roomEvent) roomEvents.push({ e, dataRef });
      addMessage(e.name, {
        name: e.name,
        title: e.event,
        summary: e.summary,
        ...(e.description ? { description: e.description } : {}),
        contentType: 'application/json',
        payload: frameSchema(e, dataRef),
        'x-direction': action === 'receive' ? 'client-to-server' : 'server-to-client',
        'x-since': e.since,
        ...(e.roomEvent ? { 'x-room-event': true } : {}),
      });
      wsMessages[e.name] = { $ref: `#/components/messages/${e.name}` };
      operations[`${action}${e.name}`] = {
        action,
        channel: { $ref: '#/channels/ws' },
        summary: e.summary,
        messages: [{ $ref: `#/channels/ws/messages/${e.name}` }],
      };
    }
  };
  for (const c of contributions) ws(c.clientEvents ?? [], 'receive');
  for (const c of contributions) ws(c.serverEvents ?? [], 'send');

  // 3. A room's log entry: one of the room event kinds the running modules have.
  if (roomEvents.length > 0)
    schemas.RoomEvent = {
      description:
        'One entry of a room log (GET /api/rooms/{id}/events, and room.event records): its event and data are what a subscriber got live.',
      oneOf: roomEvents.map(({ e, dataRef }) => ({
        type: 'object',
        required: ['eventSeq', 'event', 'data', 'createdAt'],
        properties: {
          eventSeq: { type: 'integer', minimum: 1 },
          event: { type: 'string', const: e.event, enum: [e.event] },
          data: dataRef,
          createdAt: { type: 'string', format: 'date-time' },
        },
      })),
    };

  // 4. The event-bus topic's records.
  const busChannel = contributions.find((c) => c.busChannel)?.busChannel;
  const busMessages: Record<string, Doc> = {};
  const bus = (b: BusEventDoc) => {
    const value: JsonSchema = {
      type: 'object',
      required: ['type', ...Object.keys(b.properties)],
      properties: { type: { type: 'string', const: b.type, enum: [b.type] }, ...b.properties },
    };
    schemas[b.name] = value;
    addMessage(b.name, {
      name: b.name,
      title: b.type,
      summary: b.summary,
      contentType: 'application/json',
      ...(busChannel ? { headers: { $ref: '#/components/schemas/BusRecordHeaders' } } : {}),
      payload: { $ref: `#/components/schemas/${b.name}` },
      bindings: {
        kafka: {
          key: { type: 'string', format: 'uuid', description: `the record's ${b.key}` },
          bindingVersion: '0.5.0',
        },
      },
    });
    busMessages[b.name] = { $ref: `#/components/messages/${b.name}` };
  };
  for (const c of contributions) for (const b of c.busEvents ?? []) bus(b);
  if (busChannel) schemas.BusRecordHeaders = busChannel.headers;

  const channels: Doc = {
    ws: {
      address: '/ws',
      title: 'WebSocket',
      description:
        'One socket per client. Frames are JSON text {"event": "<name>", "data": {...}} both ways. ' +
        'Authenticate the upgrade with ?ticket=<one-time ticket> (POST /api/auth/ws-ticket) or an Authorization: Bearer header; ' +
        'a refused upgrade is an HTTP 401 or 403. Close codes: 1001 server going away, 1008 flooding or too slow a reader, ' +
        '1009 frame over WS_MAX_PAYLOAD, 4401 session ended (logout, token reuse, account disabled or banned).',
      servers: [{ $ref: '#/servers/ws' }],
      messages: wsMessages,
    },
  };
  const servers: Doc = {
    ws: {
      host: info.host,
      protocol: 'ws',
      description: 'The service itself (wss behind TLS).',
      security: [
        { $ref: '#/components/securitySchemes/ticket' },
        { $ref: '#/components/securitySchemes/bearer' },
      ],
    },
  };
  if (busChannel && Object.keys(busMessages).length > 0) {
    servers.kafka = {
      host: '{brokers}',
      protocol: 'kafka',
      description:
        'The brokers of KAFKA_BROKERS (no Kafka configured: an in-process bus, same records).',
      variables: { brokers: { default: 'localhost:9092', description: 'KAFKA_BROKERS' } },
    };
    channels.chatEvents = {
      address: busChannel.address,
      title: 'Event bus topic',
      description: busChannel.description,
      servers: [{ $ref: '#/servers/kafka' }],
      messages: busMessages,
    };
    const all = Object.keys(busMessages).map((n) => ({
      $ref: `#/channels/chatEvents/messages/${n}`,
    }));
    operations.publishChatEvents = {
      action: 'send',
      channel: { $ref: '#/channels/chatEvents' },
      summary: 'Every instance publishes the events of the changes it makes',
      messages: all,
    };
    operations.consumeChatEvents = {
      action: 'receive',
      channel: { $ref: '#/channels/chatEvents' },
      summary: 'Every instance consumes every record, to reach its own sockets',
      messages: all,
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Chat backend: WebSocket protocol and event bus',
      version: info.version,
      description:
        'The /ws protocol (contract v1 and v2) and the records of the event-bus topic. ' +
        'Only the events of the enterprise modules that are on are listed. Fields may be added; ' +
        'clients ignore fields they do not know.',
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers,
    channels,
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        ticket: {
          type: 'httpApiKey',
          name: 'ticket',
          in: 'query',
          description: 'A one-time ticket from POST /api/auth/ws-ticket, good for 30 s',
        },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'Authorization: Bearer <accessToken> on the upgrade request (not from browsers)',
        },
      },
    },
  };
}
