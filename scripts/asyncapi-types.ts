// Generates the SDK's WebSocket types (packages/sdk/src/asyncapi.ts) from the service's
// /asyncapi.json. A small generator of our own rather than json-schema-to-typescript: the SDK
// needs the event maps (ServerEvents, ClientEvents, RoomEventDataMap) beside the schemas, and the
// document's few schema forms (objects, $ref, oneOf, nullable type arrays, enums) map to short,
// readable TypeScript. Output is sorted by name and formatted with prettier, so it is the same
// for the same document (the staleness test test/sdk/asyncapi-types.sdk-spec.ts relies on it).
import { format, resolveConfig } from 'prettier';

/** The parts of JSON Schema the document uses (src/common/asyncapi/protocol-docs.ts). */
interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema;
  description?: string;
}
type Schema = JsonSchema | boolean | undefined;

interface Message {
  title: string;
  summary?: string;
  payload: JsonSchema & { properties: { data: Schema } };
  headers?: JsonSchema;
  /** Set on the /ws messages only (the event-bus records have none). */
  'x-direction'?: 'client-to-server' | 'server-to-client';
  'x-room-event'?: boolean;
}

interface AsyncApiDocument {
  components: { schemas: Record<string, JsonSchema>; messages: Record<string, Message> };
}

const refName = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1);
const byKey = <T>(o: Record<string, T>): [string, T][] =>
  Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const key = (k: string): string => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
const doc = (text: string | undefined): string =>
  text ? `/** ${text.replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim()} */\n` : '';

/** The TypeScript type of one JSON schema (as the document writes them). */
function typeOf(s: Schema): string {
  if (s === true || s === undefined) return 'unknown';
  if (s === false) return 'never';
  if (typeof s.$ref === 'string') return refName(s.$ref);
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives) return union(alternatives.map(typeOf));
  if (s.allOf) return s.allOf.map((x) => paren(typeOf(x))).join(' & ');
  if (s.enum) return union(s.enum.map((v) => JSON.stringify(v)));
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.type)) return union(s.type.map((t) => typeOf({ ...s, type: t })));
  switch (s.type) {
    case 'null':
      return 'null';
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return `${paren(typeOf(s.items))}[]`;
    case 'object':
    case undefined:
      return objectType(s);
    default:
      throw new Error(`asyncapi-types: unknown schema type ${JSON.stringify(s.type)}`);
  }
}

function objectType(s: JsonSchema): string {
  const props = s.properties ?? {};
  if (Object.keys(props).length === 0) {
    // An object described with no fields (ping's data) is sent empty: {}.
    if (s.additionalProperties === undefined || s.additionalProperties === false)
      return 'Record<string, never>';
    return `Record<string, ${typeOf(s.additionalProperties)}>`;
  }
  const required = new Set<string>(s.required ?? []);
  // Properties keep the document's order (the order a reader expects: id first).
  const lines = Object.entries(props).map(
    ([k, v]) =>
      `${doc(typeof v === 'object' ? v.description : undefined)}${key(k)}${required.has(k) ? '' : '?'}: ${typeOf(v)};`,
  );
  return `{\n${lines.join('\n')}\n}`;
}

function union(types: string[]): string {
  const unique = [...new Set(types)];
  return unique.length === 1 ? unique[0] : unique.map(paren).join(' | ');
}
const paren = (t: string): string =>
  /^[\w$.'"[\]<>, ]+$/.test(t) || t.startsWith('{') ? t : `(${t})`;

/** The schemas only the event-bus records use (their payloads and headers): not the SDK's. */
function busOnly(messages: Record<string, Message>): Set<string> {
  const names = new Set<string>();
  for (const m of Object.values(messages))
    if (m['x-direction'] === undefined)
      for (const part of [m.payload, m.headers])
        if (typeof part?.$ref === 'string') names.add(refName(part.$ref));
  return names;
}

function eventMap(name: string, comment: string, messages: Message[]): string {
  const lines = messages
    .sort((a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : 0))
    .map((m) => `${doc(m.summary)}${key(m.title)}: ${typeOf(m.payload.properties.data)};`);
  return `${doc(comment)}export interface ${name} {\n${lines.join('\n')}\n}\n`;
}

/** The TypeScript source of the document's WebSocket types, formatted for `outFile`. */
export async function asyncApiTypes(
  document: unknown,
  header: string,
  outFile: string,
): Promise<string> {
  const asyncapi = document as AsyncApiDocument;
  const { schemas } = asyncapi.components;
  const ws = Object.values(asyncapi.components.messages).filter(
    (m) => m['x-direction'] !== undefined,
  );
  const server = ws.filter((m) => m['x-direction'] === 'server-to-client');
  const client = ws.filter((m) => m['x-direction'] === 'client-to-server');
  const bus = busOnly(asyncapi.components.messages);
  const roomEvents = server.filter((m) => m['x-room-event']);

  const parts = [header];
  for (const [name, s] of byKey(schemas)) {
    if (bus.has(name)) continue;
    const t = typeOf(s);
    const isObject =
      Object.keys(s.properties ?? {}).length > 0 &&
      !s.oneOf &&
      !s.anyOf &&
      !s.allOf &&
      !Array.isArray(s.type);
    parts.push(
      isObject
        ? `${doc(s.description)}export interface ${name} ${t}\n`
        : `${doc(s.description)}export type ${name} = ${t};\n`,
    );
  }
  parts.push(
    eventMap(
      'RoomEventDataMap',
      "Room events: every change to what a room's members see, numbered per room by eventSeq.",
      roomEvents,
    ),
    `/** The room event kinds, as RoomEventDataMap names them. */\nexport const ROOM_EVENT_KINDS = ${JSON.stringify(
      roomEvents.map((m) => m.title).sort(),
    )} as const;\n`,
    eventMap('ServerEvents', 'Every event the server sends on /ws, with its data.', server),
    eventMap('ClientEvents', 'Every event a client sends on /ws, with its data.', client),
  );
  const options = (await resolveConfig(outFile)) ?? {};
  return format(parts.join('\n'), { ...options, parser: 'typescript' });
}
