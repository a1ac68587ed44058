import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { ReadStateModule } from '../read-state/read-state.module.js';
import { RoomEventsModule } from '../room-events/room-events.module.js';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { ChatGateway } from './chat.gateway.js';
import { RealtimeHub } from './realtime-hub.service.js';
import { WsUpgradeAuth } from './ws-upgrade-auth.js';
import { RealtimeProtocolDocs } from './realtime.protocol.js';

@Module({
  imports: [
    AuthModule,
    AttachmentsModule,
    RoomsModule,
    MessagesModule,
    ReadStateModule,
    RoomEventsModule,
  ],
  providers: [RealtimeProtocolDocs, ChatGateway, RealtimeHub, WsUpgradeAuth],
  exports: [RealtimeHub],
})
export class RealtimeModule {}
