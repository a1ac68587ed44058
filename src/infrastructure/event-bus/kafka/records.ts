import { createHash, randomUUID } from 'node:crypto';
import type { IHeaders } from 'kafkajs';
import type { ChatEvent } from '../../../common/events/chat-events.js';
import type { EventHint } from '../../../common/events/event-bus.js';
import type { OutboxRef } from './outbox-store.js';

/**
 * Headers every record this service puts on the events topic carries, so a consumer outside the
 * service can route, deduplicate and version records without parsing them:
 * - `chat-event-id`: the event's id; the same when the outbox publishes a record again (a
 *   room event's is derived from its room and eventSeq, another from its outbox row; ephemeral
 *   events, never republished, get a random one);
 * - `chat-event-type`: the ChatEvent's `type`;
 * - `chat-room-event`: a room event's kind (`message.new`, `member.left`, ...), on room events
 *   only, so that an instance can drop another room's record without decoding it;
 * - `chat-schema-version`: the version of the record's JSON value (RECORD_SCHEMA_VERSION);
 * - `source-instance`: the INSTANCE_ID of the instance that published it.
 * The record key is the room id (or the user id for user events); the value is the ChatEvent.
 */
export const RecordHeader = {
  eventId: 'chat-event-id',
  eventType: 'chat-event-type',
  roomEvent: 'chat-room-event',
  schemaVersion: 'chat-schema-version',
  sourceInstance: 'source-instance',
} as const;

export const RECORD_SCHEMA_VERSION = '1';

/** A UUID-shaped id derived from a durable key: stable across republishing. */
function stableId(key: string): string {
  const h = createHash('sha1').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The `chat-event-id` of an event: its place in its room's log, or its outbox row. */
export function eventId(event: ChatEvent, ref: OutboxRef | null): string {
  if (event.type === 'room.event')
    return stableId(`chat-room-event:${event.roomId}:${event.event.eventSeq}`);
  if (ref?.kind === 'row') return stableId(`chat-outbox:${ref.id}`);
  return randomUUID();
}

export function recordHeaders(event: ChatEvent, id: string, instanceId: string): IHeaders {
  const headers: IHeaders = {
    [RecordHeader.eventId]: id,
    [RecordHeader.eventType]: event.type,
    [RecordHeader.schemaVersion]: RECORD_SCHEMA_VERSION,
    [RecordHeader.sourceInstance]: instanceId,
  };
  if (event.type === 'room.event') headers[RecordHeader.roomEvent] = event.event.event;
  return headers;
}

const CHAT_EVENT_TYPES: ReadonlySet<string> = new Set<ChatEvent['type']>([
  'room.event',
  'room.deleted',
  'typing',
  'session.revoked',
  'presence',
  'invite.received',
  'dm.created',
  'read.updated',
]);

/**
 * A record's hint from its key and headers, without decoding its value; null when they do not
 * say enough (no key, no or an unknown type), and the record is then decoded as before.
 */
export function recordHint(
  key: Buffer | string | null | undefined,
  headers: IHeaders | undefined,
): EventHint | null {
  const type = headers?.[RecordHeader.eventType]?.toString();
  if (!key || type === undefined || !CHAT_EVENT_TYPES.has(type)) return null;
  const roomEvent = headers?.[RecordHeader.roomEvent]?.toString();
  return {
    type: type as ChatEvent['type'],
    key: key.toString(),
    ...(roomEvent === undefined ? {} : { roomEvent }),
  };
}

/**
 * Readiness and heartbeat probes of versions before 2026-12 (`{}` with this header): no longer
 * written, still skipped by every consumer while such records remain on the topic.
 */
export const PROBE_HEADER = 'x-chat-probe';
