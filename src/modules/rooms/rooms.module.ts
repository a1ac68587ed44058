import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { authConfig } from '../../config/configuration.js';
import { RoomRepository } from './domain/room.repository.js';
import { SqlRoomRepository } from './infrastructure/persistence/sql-room.repository.js';
import { RoomsController } from './rooms.controller.js';
import { RoomsService } from './rooms.service.js';

@Module({
  imports: [ConfigModule.forFeature(authConfig)],
  controllers: [RoomsController],
  providers: [RoomsService, { provide: RoomRepository, useClass: SqlRoomRepository }],
  exports: [RoomsService],
})
export class RoomsModule {}
