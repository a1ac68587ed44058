import { Module } from '@nestjs/common';
import { RoomsModule } from '../rooms/rooms.module.js';
import { ReadStateRepository } from './domain/read-state.repository.js';
import { SqlReadStateRepository } from './infrastructure/persistence/sql-read-state.repository.js';
import { ReadStateController } from './read-state.controller.js';
import { ReadStateService } from './read-state.service.js';
import { ReadStateProtocolDocs } from './read-state.protocol.js';

/** Read markers (room.read, own sends) and the room list (GET /api/users/me/rooms). */
@Module({
  imports: [RoomsModule],
  controllers: [ReadStateController],
  providers: [
    ReadStateProtocolDocs,
    ReadStateService,
    { provide: ReadStateRepository, useClass: SqlReadStateRepository },
  ],
  exports: [ReadStateService],
})
export class ReadStateModule {}
