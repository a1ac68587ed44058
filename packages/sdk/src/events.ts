// The WebSocket wire protocol of /ws. The types are generated from the service's /asyncapi.json
// into asyncapi.ts (test/sdk/asyncapi-types.sdk-spec.ts fails when that file is stale); this file
// gives them the names the SDK has always exported. test/sdk/events-mirror.ts checks them against
// the server's own TypeScript types.
import { ROOM_EVENT_KINDS } from './asyncapi.js';
import type * as Wire from './asyncapi.js';

export type {
  ClientEvents,
  MessageNewData,
  RoomEvent,
  RoomEventDataMap,
  ServerEvents,
  ThreadSummary,
  ReactionSummary,
} from './asyncapi.js';
export { ROOM_EVENT_KINDS };

export type MessageView = Wire.Message;
export type MessageType = Wire.Message['type'];
export type AttachmentView = Wire.Attachment;
export type RoomView = Wire.Room;
export type InviteView = Wire.Invite;
/** reaction.added and reaction.removed carry the same data. */
export type ReactionEventData = Wire.ReactionAddedData;

export type RoomEventKind = keyof Wire.RoomEventDataMap;

/** Close codes the server uses. */
export const CloseCodes = {
  goingAway: 1001,
  policyViolation: 1008,
  tooBig: 1009,
  /** Logout, refresh-token reuse, account disabled or banned. */
  sessionEnded: 4401,
} as const;

export function isRoomEventKind(event: string): event is RoomEventKind {
  return (ROOM_EVENT_KINDS as readonly string[]).includes(event);
}
