import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { DirectRoomsController } from './direct-rooms.controller.js';
import { DirectRoomsService } from './direct-rooms.service.js';
import { InviteRepository } from './domain/invite.repository.js';
import { RoomRepository } from './domain/room.repository.js';
import { SqlInviteRepository } from './infrastructure/persistence/sql-invite.repository.js';
import { InvitesController } from './invites.controller.js';
import { InvitesService } from './invites.service.js';
import { SqlRoomRepository } from './infrastructure/persistence/sql-room.repository.js';
import { RoomsController } from './rooms.controller.js';
import { RoomsService } from './rooms.service.js';
import { RoomsProtocolDocs } from './rooms.protocol.js';

@Module({
  imports: [UsersModule],
  controllers: [RoomsController, DirectRoomsController, InvitesController],
  providers: [
    RoomsProtocolDocs,
    RoomsService,
    DirectRoomsService,
    InvitesService,
    { provide: RoomRepository, useClass: SqlRoomRepository },
    { provide: InviteRepository, useClass: SqlInviteRepository },
  ],
  exports: [RoomsService],
})
export class RoomsModule {}
