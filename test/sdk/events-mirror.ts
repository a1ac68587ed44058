// Compile-time check (root `tsc --noEmit`): the SDK's hand-written wire types
// (packages/sdk/src/events.ts) are exactly the server's. When the server's protocol changes, this
// file stops compiling until events.ts follows. (events.ts is to be replaced by types generated
// from /asyncapi.json.)
import type * as Server from '../../src/common/events/chat-events.js';
import type { ServerEvents as ServerWire } from '../../src/modules/realtime/ws-protocol.js';
import type * as Sdk from '../../packages/sdk/src/events.js';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;

export type EventsMirrorChecks = [
  Assert<Equal<Sdk.ServerEvents, ServerWire>>,
  Assert<Equal<Sdk.RoomEventDataMap, Server.RoomEventDataMap>>,
  Assert<Equal<Sdk.MessageView, Server.MessageView>>,
  Assert<Equal<Sdk.RoomView, Server.RoomView>>,
  Assert<Equal<Sdk.RoomEvent, Server.RoomEvent>>,
];
