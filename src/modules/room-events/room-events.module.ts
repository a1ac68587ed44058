import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { RoomEventRepository } from './domain/room-event.repository.js';
import { SqlRoomEventRepository } from './infrastructure/persistence/sql-room-event.repository.js';
import { RoomEventsController } from './room-events.controller.js';
import { RoomEventsService } from './room-events.service.js';
import { RoomEventsProtocolDocs } from './room-events.protocol.js';

/** Each room's log of events: the cursor clients resume from, on any instance. */
@Module({
  imports: [RoomsModule, AttachmentsModule],
  controllers: [RoomEventsController],
  providers: [
    RoomEventsProtocolDocs,
    RoomEventsService,
    { provide: RoomEventRepository, useClass: SqlRoomEventRepository },
  ],
  exports: [RoomEventsService],
})
export class RoomEventsModule {}
