// Compile-time check (root `tsc --noEmit`): the SDK's wire types, generated from /asyncapi.json
// (packages/sdk/src/asyncapi.ts through events.ts), are the server's own TypeScript types. The
// staleness test keeps the generated file equal to the document, and this file keeps the document
// equal to the code's types, so neither can drift.
//
// `Same` is assignability both ways rather than the stricter identity check: the generated types
// are flat interfaces where the server writes intersections (`MessageView & { eventSeq }`), which
// identity tells apart although every value of one is a value of the other. Both directions still
// catch a missing, extra, optional-vs-required or differently typed field.
import type * as Server from '../../src/common/events/chat-events.js';
import type { ServerEvents as ServerWire } from '../../src/modules/realtime/ws-protocol.js';
import type * as Dto from '../../src/modules/realtime/dto/ws.dto.js';
import type { MessageDeleteAck } from '../../src/modules/admin/admin.gateway.js';
import type { DeleteMessageWsDto } from '../../src/modules/admin/dto/admin.dto.js';
import type * as Sdk from '../../packages/sdk/src/events.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Every key of B is in A. */
type Covers<A, B> = [Exclude<keyof B, keyof A>] extends [never] ? true : false;

export type EventsMirrorChecks = [
  // The SDK's map also names the events of the modules whose frames are typed in the module's
  // own code, not in the core's map (message.delete.ack, checked below): the core's events are
  // the same, and the SDK knows every one of them.
  Assert<Covers<Sdk.ServerEvents, ServerWire>>,
  Assert<Same<Pick<Sdk.ServerEvents, keyof ServerWire>, ServerWire>>,
  // What a client sends is what the gateway's DTOs accept (ping's data is empty: any {} does).
  Assert<Same<Sdk.ClientEvents['room.subscribe'], Dto.SubscribeDto>>,
  Assert<Same<Sdk.ClientEvents['room.unsubscribe'], Dto.RoomRefDto>>,
  Assert<Same<Sdk.ClientEvents['message.send'], Dto.SendDto>>,
  Assert<Same<Sdk.ClientEvents['room.read'], Dto.ReadDto>>,
  Assert<Same<Sdk.ClientEvents['typing'], Dto.RoomRefDto>>,
  Assert<Sdk.ClientEvents['ping'] extends Dto.PingDto ? true : false>,
  // The advanced admin module's own frames, typed in its gateway.
  Assert<Same<Sdk.ServerEvents['message.delete.ack'], MessageDeleteAck>>,
  Assert<Same<Sdk.ClientEvents['message.delete'], DeleteMessageWsDto>>,
  // And no event goes unchecked.
  Assert<Same<keyof Sdk.ServerEvents, keyof ServerWire | 'message.delete.ack'>>,
  Assert<
    Same<
      keyof Sdk.ClientEvents,
      | 'room.subscribe'
      | 'room.unsubscribe'
      | 'message.send'
      | 'room.read'
      | 'typing'
      | 'ping'
      | 'message.delete'
    >
  >,
  Assert<Same<Sdk.RoomEventDataMap, Server.RoomEventDataMap>>,
  Assert<Same<Sdk.MessageView, Server.MessageView>>,
  Assert<Same<Sdk.RoomView, Server.RoomView>>,
  Assert<Same<Sdk.RoomEvent, Server.RoomEvent>>,
  Assert<Same<Sdk.AttachmentView, Server.AttachmentView>>,
];
